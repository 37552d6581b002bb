"""What the ``sensitivity`` and ``calibrate`` commands share: their ``key=value`` options
apart from the Hydra overrides of every job, and whole-number options."""

from sim.config import ConfigError


def split(args: list[str], options: tuple[str, ...], reserved: tuple[str, ...], command: str,
          usage: str, why: str) -> tuple[dict[str, str], list[str]]:
    """The command's own ``options``, and the rest (overrides of every job); a key in
    ``reserved`` is set by the command itself (ConfigError with ``why``)."""
    given: dict[str, str] = {}
    rest = []
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and key in options:
            if key in given:
                raise ConfigError(f"{key}: given twice (usage: {usage})")
            given[key] = value.strip()
        elif arg.startswith("-"):
            raise ConfigError(f"{arg}: not an option of {command} (usage: {usage})")
        elif not sep:
            raise ConfigError(f"{arg}: not key=value (usage: {usage})")
        else:
            rest.append(arg)
    for key in reserved:
        if any(a.split("=", 1)[0] == key for a in rest):
            raise ConfigError(f"{key}: {why} (usage: {usage})")
    return given, rest


def whole(key: str, value: str, lo: int, usage: str) -> int:
    """A whole number of at least ``lo``, or ConfigError."""
    try:
        n = int(value)
    except ValueError:
        n = lo - 1
    if n < lo:
        raise ConfigError(f"{key} = {value!r}: a whole number of at least {lo} (usage: {usage})")
    return n
