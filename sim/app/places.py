"""Where the route map draws each place: a schematic map, west to the left and north up.

The UK's regions and entry points sit roughly where they are; transit hubs across the Channel
and the North Sea; sources further out in their direction (Nigeria south, China and Vietnam far
east), not to scale. Places of a world not named here are laid out in columns by kind (sources,
transit, entry points, regions), so any world can be drawn.
"""

# x: west to east, y: south to north, in the map's own units
POSITIONS: dict[str, tuple[float, float]] = {
    # uk_2011: regions
    "scotland": (20, 62), "northern_ireland": (3, 50), "north_east_yorkshire": (32, 47),
    "north_west": (18, 43), "wales": (10, 30), "midlands": (27, 32), "london": (35, 22),
    "south_east": (42, 13),
    # entry points
    "holyhead_cta": (8, 39), "other_airports": (22, 37), "east_coast_ports": (40, 40),
    "heathrow": (27, 21), "dover": (51, 18), "channel_tunnel": (50, 10),
    "kent_small_boats": (45, 4),
    # transit
    "ireland": (-6, 40), "northern_france": (61, 5), "benelux": (63, 27), "balkans": (82, 4),
    # sources
    "uk": (12, 14), "other_eu": (77, 35), "romania": (92, 22), "albania": (88, -7),
    "nigeria": (58, -18), "rest_of_world": (100, -15), "china": (110, 30), "vietnam": (114, 10),
    # uk_2012_2024
    "uk_county_lines": (14, 22), "eritrea": (84, -20), "sudan": (72, -24),
    # toy
    "capital": (35, 22), "north": (22, 44), "port": (51, 18), "tunnel": (50, 10),
    "airport": (26, 17), "hub": (63, 14), "home": (12, 14), "east": (88, 24),
    "south": (80, -8),
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
