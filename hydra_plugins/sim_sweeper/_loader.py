"""Hydra's config loader, composing each job of a sweep in a tenth of the time.

Hydra composes every job from scratch where it runs: it reads and parses each YAML file,
deep-copies the typed schema, and merges them, about half a second a job, before applying the
job's own overrides. The jobs of a sweep differ in a few overrides and share the same few
lists of config files. This loader keeps, in each process, the configs it has read and the
result of merging each list of configs, and gives a job a copy of that result (unpickled)
before Hydra applies the job's overrides as it always does: the composed config is the same
as Hydra's (a test compares them), only cheaper. A config file edited while the process
lives is read again (the cache is keyed by its modification time).

The module's name starts with an underscore so that Hydra's plugin scan, which runs every
other module of ``hydra_plugins`` again, leaves it and its caches alone: a launcher then
sends the loader to its workers by reference, and each worker keeps its caches from job to
job.
"""

import io
import os
import pickle

from hydra._internal.config_loader_impl import ConfigLoaderImpl  # Hydra 1.3 (pinned)
from hydra._internal.config_repository import CachingConfigRepository
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

REPOSITORIES: dict[str, "SharedRepository"] = {}  # by config search path, for this process
COMPOSED: dict[tuple, "Frozen"] = {}  # a merged list of configs, by the list


class SharedRepository(CachingConfigRepository):
    """Hydra's per-composition cache of loaded configs, kept for the life of the process.
    Only the defaults lists and headers of what it returns are read (never changed); merging
    uses a fresh repository (Hydra's merge may share nodes with what it loads)."""

    def load_config(self, config_path: str):
        key = f"{version(self.delegate, config_path)}:{config_path}"
        if key not in self.cache:
            self.cache[key] = self.delegate.load_config(config_path=config_path)
        return self.cache[key]


def version(repo, config_path: str) -> str:
    """Where a config comes from, and for a file its modification time."""
    source = repo._find_object_source(config_path=config_path, object_type=ObjectType.CONFIG)
    if source is None:
        return ""
    if type(source).__name__ != "FileConfigSource":
        return f"{source.scheme()}://{source.path}"
    path = os.path.join(source.path, f"{config_path}.yaml")
    return f"{path}@{os.stat(path).st_mtime_ns if os.path.exists(path) else ''}"


class CachingConfigLoader(ConfigLoaderImpl):
    """Composition with the process's caches; Hydra's own when a search path is changed
    (``hydra.searchpath``), which this loader does not follow."""

    def _parse_overrides_and_create_caching_repo(self, config_name, overrides):
        parsed = OverridesParser.create().parse_overrides(overrides=overrides)
        if any(o.get_key_element() == "hydra.searchpath" for o in parsed):
            return super()._parse_overrides_and_create_caching_repo(config_name, overrides)
        key = str(self.config_search_path)
        if key not in REPOSITORIES:  # made once: making one deep-copies Hydra's repository
            REPOSITORIES[key] = SharedRepository(self.repository)
        repo = REPOSITORIES[key]
        primary = repo.load_config(config_name) if config_name is not None else None
        if primary is not None and OmegaConf.select(primary.config, "hydra.searchpath"):
            return super()._parse_overrides_and_create_caching_repo(config_name, overrides)
        return parsed, repo

    def _compose_config_from_defaults_list(self, defaults, repo):
        if not isinstance(repo, SharedRepository):
            return super()._compose_config_from_defaults_list(defaults, repo)
        key = (str(self.config_search_path),
               *((d.config_path, d.parent, d.package, d.is_self, d.primary,
                  version(repo.delegate, d.config_path) if d.config_path else "")
                 for d in defaults))
        if key not in COMPOSED:
            fresh = CachingConfigRepository(repo.delegate)
            merged = super()._compose_config_from_defaults_list(defaults, fresh)
            COMPOSED[key] = Frozen(merged)
        return COMPOSED[key].copy()


class Frozen:
    """A config kept as pickled bytes, copied by unpickling them: four times faster than a
    deep copy. Classes are kept by reference, as a deep copy keeps them: Hydra's plugin scan
    runs the launchers' modules again, so the class a typed node was made from need no longer
    be the one its module names, which pickling by name would refuse."""

    def __init__(self, config):
        self.classes: list[type] = []
        index: dict[type, int] = {}

        def keep(obj) -> int | None:
            if not isinstance(obj, type):
                return None
            if obj not in index:
                index[obj] = len(self.classes)
                self.classes.append(obj)
            return index[obj]

        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = keep  # type: ignore[method-assign]
        pickler.dump(config)
        self.data = buffer.getvalue()

    def copy(self):
        unpickler = pickle.Unpickler(io.BytesIO(self.data))
        unpickler.persistent_load = self.classes.__getitem__  # type: ignore[method-assign]
        return unpickler.load()
