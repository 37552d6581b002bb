"""Where the route map draws each place: a schematic map, west to the left and north up.

The UK's regions and entry points sit roughly where they are; transit hubs across the Channel
and the North Sea; sources further out in their direction (Nigeria south, China and Vietnam far
east), not to scale. Places of a world not named here are laid out in columns by kind (sources,
transit, entry points, regions), so any world can be drawn.
"""

# x: west to east, y: south to north, in the map's own units
POSITIONS: dict[str, tuple[float, float]] = {
    # uk_2011: regions
    "scotland": (14, 54), "northern_ireland": (3, 45), "north_east_yorkshire": (23, 43),
    "north_west": (15, 40), "wales": (10, 30), "midlands": (20, 32), "london": (25, 23),
    "south_east": (30, 18),
    # entry points
    "holyhead_cta": (6, 37), "other_airports": (17, 35), "east_coast_ports": (29, 38),
    "heathrow": (21, 21), "dover": (36, 17), "channel_tunnel": (35, 12),
    "kent_small_boats": (32, 8),
    # transit
    "ireland": (-4, 36), "northern_france": (45, 9), "benelux": (47, 25), "balkans": (63, 8),
    # sources
    "uk": (6, 20), "other_eu": (60, 30), "romania": (72, 20), "albania": (68, 0),
    "nigeria": (46, -14), "rest_of_world": (82, -8), "china": (92, 24), "vietnam": (96, 6),
    # toy
    "capital": (25, 24), "north": (17, 42), "port": (36, 17), "tunnel": (35, 12),
    "airport": (20, 21), "hub": (46, 14), "home": (6, 20), "east": (70, 24), "south": (62, -6),
}
KINDS = ("source", "transit", "entry", "region")


def layout(graph) -> dict[str, tuple[float, float]]:
    """The position of every place of a world's route graph (``RouteNetwork.graph``)."""
    known = {n: POSITIONS[n] for n in graph if n in POSITIONS}
    if len(known) == graph.number_of_nodes():
        return known
    columns = {kind: [n for n in graph if graph.nodes[n]["kind"] == kind] for kind in KINDS}
    placed = {}
    for i, kind in enumerate(reversed(KINDS)):  # regions west, sources east
        names = columns[kind]
        for j, name in enumerate(names):
            placed[name] = (10.0 + 25 * i, 50 - 60 * (j + 0.5) / max(len(names), 1))
    return placed
