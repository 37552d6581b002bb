"""The route network of a world config, and the candidate routes groups choose among."""

from collections import OrderedDict
from dataclasses import dataclass

import networkx as nx
import numpy as np

from sim.config import ConfigError, World

_NETWORKS: OrderedDict[tuple, "RouteNetwork"] = OrderedDict()
_KEPT = 8  # networks kept per process: a sweep varies a few worlds at most


@dataclass(frozen=True)
class Path:
    """A way from a source to a UK region: through exactly one entry point (none if domestic)."""

    nodes: tuple[str, ...]
    entry: str | None
    weeks_to_entry: int
    weeks_after_entry: int
    cost_gbp: float

    @property
    def weeks(self) -> int:
        return self.weeks_to_entry + self.weeks_after_entry


@dataclass(frozen=True)
class Options:
    """The candidate paths of every source and region with as many candidates, as tables for
    the route choice, a row a (source, region): the fixed cost of each path (money plus
    weeks), the index of its entry point and whether it crosses one."""

    paths: list[list[Path]]
    fixed_gbp: np.ndarray
    entry: np.ndarray
    crossing: np.ndarray


def route_network(world: World, paths: int) -> "RouteNetwork":
    """The route network of ``world`` keeping ``paths`` candidates, built once per process for
    each set of places and routes: the check of a config, its model and the next job of a sweep
    in the same worker share it (a network is never changed once built)."""
    key = (tuple((name, spec.domestic) for name, spec in world.sources.items()),
           tuple(world.transit), tuple(world.entry_points), tuple(world.regions),
           tuple((r.origin, r.destination, r.weeks, r.cost_gbp) for r in world.routes), paths)
    if key not in _NETWORKS:
        _NETWORKS[key] = RouteNetwork(world, paths)
        if len(_NETWORKS) > _KEPT:
            _NETWORKS.popitem(last=False)
    return _NETWORKS[key]


class RouteNetwork:
    """A directed graph of places (kind: source, transit, entry, region) with routes as edges.

    For each foreign source and region there is one candidate path per reachable entry point
    (the cheapest through that entry and no other), of which the ``paths`` cheapest are kept;
    domestic sources reach regions without crossing the border.
    """

    def __init__(self, world: World, paths: int):
        g = nx.DiGraph()
        for kind, names in (("source", world.sources), ("transit", world.transit),
                            ("entry", world.entry_points), ("region", world.regions)):
            g.add_nodes_from(names, kind=kind)
        for r in world.routes:
            g.add_edge(r.origin, r.destination, weeks=r.weeks, cost_gbp=r.cost_gbp)
        self.graph = g
        self.entries = list(world.entry_points)
        self.paths: dict[tuple[str, str], list[Path]] = {}
        for source, spec in world.sources.items():
            for region in world.regions:
                found = self._domestic(source, region) if spec.domestic else self._foreign(
                    source, region)
                if found:
                    self.paths[source, region] = sorted(found, key=lambda p: p.cost_gbp)[:paths]
            if not any(s == source for s, _ in self.paths):
                how = "without crossing the border" if spec.domestic else (
                    "through exactly one entry point")
                raise ConfigError(f"world.sources.{source}: no route to any UK region {how}; "
                                  "add routes to world.routes")

    def options(self, week_gbp: float) -> tuple[dict[int, Options], dict[tuple[str, str],
                                                                      tuple[int, int]]]:
        """The paths priced at ``week_gbp`` a week on the way, as tables by number of
        candidates, and where each (source, region) is in them: (number, row)."""
        index = {e: i for i, e in enumerate(self.entries)}
        by_number: dict[int, list[list[Path]]] = {}
        where = {}
        for key, paths in self.paths.items():
            rows = by_number.setdefault(len(paths), [])
            where[key] = (len(paths), len(rows))
            rows.append(paths)
        def table(rows: list[list[Path]], of) -> np.ndarray:
            return np.array([[of(p) for p in paths] for paths in rows])

        tables = {n: Options(rows, table(rows, lambda p: p.cost_gbp + week_gbp * p.weeks),
                             table(rows, lambda p: index[p.entry] if p.entry else 0),
                             table(rows, lambda p: p.entry is not None))
                  for n, rows in by_number.items()}
        return tables, where

    def _cheapest(self, graph, a, b):
        try:
            return nx.shortest_path(graph, a, b, weight="cost_gbp")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return None

    def _path(self, nodes, entry):
        edges = [self.graph.edges[u, v] for u, v in zip(nodes, nodes[1:], strict=False)]
        cut = nodes.index(entry) if entry else len(nodes) - 1
        weeks = [e["weeks"] for e in edges]
        return Path(tuple(nodes), entry, sum(weeks[:cut]), sum(weeks[cut:]),
                    sum(e["cost_gbp"] for e in edges))

    def _domestic(self, source, region):
        inland = self.graph.subgraph(n for n in self.graph if n not in self.entries)
        nodes = self._cheapest(inland, source, region)
        return [self._path(nodes, None)] if nodes else []

    def _foreign(self, source, region):
        found = []
        for entry in self.entries:
            only = self.graph.subgraph(n for n in self.graph if n == entry or n not in self.entries)
            first, then = self._cheapest(only, source, entry), self._cheapest(only, entry, region)
            if first and then:
                found.append(self._path(first + then[1:], entry))
        return found
