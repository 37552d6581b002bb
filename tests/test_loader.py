"""The sweeper's caching config loader composes every job exactly as Hydra does."""

import pickle
import shutil
from contextlib import contextmanager

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from omegaconf import OmegaConf

from hydra_plugins.sim_sweeper import _loader as loader
from sim.config import CONFIG_DIR
from sim.settings import register_configs

JOBS = [
    ["replication=1"],
    ["replication=2"],
    ["policy=border", "replication=3"],
    ["world=toy", "seed=4"],
    ["experiment=policy_comparison"],
    ["replication=5", "hydra.job.chdir=false"],
    ["world=uk_2012_2024", "world.events.modern_slavery_act.value=2"],
    ["policy=border", "replication=4", "recruitment.rate=0.5"],
    ["world=toy", "policy=strategy_2011", "groups.recruitment=market"],
]


@contextmanager
def loaders(config_dir=CONFIG_DIR):
    """Hydra's loader and the caching one, on the same search path, with empty caches."""
    register_configs()
    loader.REPOSITORIES.clear()
    loader.COMPOSED.clear()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        hydra = GlobalHydra.instance().config_loader()
        yield hydra, loader.CachingConfigLoader(hydra.get_search_path())


def composed(config_loader, overrides):
    cfg = config_loader.load_configuration("config", overrides, RunMode.RUN)
    return OmegaConf.to_yaml(cfg)  # the job's config and Hydra's, as the job folder saves them


def test_every_job_composes_as_hydra_composes_it_in_any_order():
    with loaders() as (hydra, caching):
        expected = [composed(hydra, job) for job in JOBS]
        for job, want in zip(JOBS + JOBS[::-1], expected + expected[::-1], strict=True):
            assert composed(caching, job) == want, job
        assert len(loader.COMPOSED) < len(JOBS)  # jobs that differ in values share a merge


def test_a_worker_given_its_own_copy_of_the_loader_uses_the_same_caches():
    with loaders() as (_, caching):
        composed(caching, ["replication=1"])
        worker = pickle.loads(pickle.dumps(caching))  # as a launcher sends it to each job
        composed(worker, ["replication=2"])
        assert (len(loader.REPOSITORIES), len(loader.COMPOSED)) == (1, 1)


def test_hydras_plugin_scan_leaves_the_caches_alone():
    from hydra.core.plugins import Plugins

    import hydra_plugins

    caches = loader.COMPOSED, loader.CachingConfigLoader
    Plugins._scan_all_plugins(modules=[hydra_plugins])  # as each process does once
    assert (loader.COMPOSED, loader.CachingConfigLoader) == caches


def test_jobs_compose_after_hydras_plugin_scan_makes_the_launchers_config_classes_anew():
    from hydra.core.plugins import Plugins

    import hydra_plugins

    with loaders() as (hydra, caching):
        expected = [composed(hydra, job) for job in JOBS[:3]]
        composed(caching, JOBS[0])  # the launcher's config, read before the scan...
        Plugins._scan_all_plugins(modules=[hydra_plugins])  # ...whose module runs again
        assert [composed(caching, job) for job in JOBS[:3]] == expected


def test_a_job_changing_its_config_leaves_the_next_job_untouched():
    with loaders() as (_, caching):
        first = caching.load_configuration("config", ["replication=1"], RunMode.RUN)
        first.seed = 999
        first.recruitment.rate = 7.0
        first.hydra.job.name = "changed"
        again = caching.load_configuration("config", ["replication=1"], RunMode.RUN)
        assert (again.seed, again.recruitment.rate, again.hydra.job.name) != (999, 7.0, "changed")


def test_a_config_file_edited_while_the_process_lives_is_read_again(tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    world = configs / "world" / "toy.yaml"
    with loaders(configs) as (_, caching):
        before = caching.load_configuration("config", ["world=toy"], RunMode.RUN)
        text = world.read_text()
        assert "name: toy" in text
        world.write_text(text.replace("name: toy", "name: toy_edited"))
        after = caching.load_configuration("config", ["world=toy"], RunMode.RUN)
    assert (before.world.name, after.world.name) == ("toy", "toy_edited")


@pytest.mark.parametrize("bad", [["seed=abc"], ["nosuchkey=1"], ["world=atlantis"],
                                 ["world.nosuch=1"]])
def test_bad_overrides_fail_as_hydra_fails_them(bad):
    with loaders() as (hydra, caching):
        errors = []
        for config_loader in (hydra, caching):
            with pytest.raises(ConfigCompositionException) as err:
                config_loader.load_configuration("config", bad, RunMode.RUN)
            errors.append(str(err.value))
    assert errors[0] == errors[1]
