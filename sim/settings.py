"""Compose a typed Config from the YAML tree in ``configs/``, as the Hydra application does."""

from functools import cache

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from sim.config import CONFIG_DIR, EXPERIMENT_DIR, Config


@cache  # once a process: the store outlives Hydra's global state
def register_configs() -> None:
    """Make the typed schema the base of ``configs/config.yaml`` (its ``schema`` default) and
    each file of ``experiments/`` an option of the group ``experiment``."""
    store = ConfigStore.instance()
    store.store(name="schema", node=Config)
    for path in sorted(EXPERIMENT_DIR.glob("*.yaml")):
        store.store(group="experiment", name=path.stem, node=OmegaConf.load(path),
                    package="_global_")


def load_config(overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """The default config (world uk_2011, baseline policy) with Hydra-style overrides,
    e.g. ``load_config(["world=toy", "policy=border", "seed=3"])``."""
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides))
    config = OmegaConf.to_object(cfg)
    assert isinstance(config, Config)
    return config
