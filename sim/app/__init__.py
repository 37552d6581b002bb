"""The dashboard: ``python -m sim app`` serves Mesa's SolaraViz page of a live model and a page
of a finished sweep's results, on 127.0.0.1 only.

- :mod:`sim.app.controls`: the settings a person can change, and the Hydra overrides they
  stand for (the same composition as ``python -m sim``: one code path);
- :mod:`sim.app.live`: the model as the dashboard runs it (built from those overrides);
- :mod:`sim.app.places`, :mod:`sim.app.charts`: the route map and the charts, as ECharts
  options built from the model's weekly rows;
- :mod:`sim.app.sweeps`: a finished sweep's figures and paired differences;
- :mod:`sim.app.pages`: the Solara pages; :mod:`sim.app.serve`: the command and the server.

Only :mod:`sim.app.pages` and :mod:`sim.app.serve` import Solara; the rest is plain Python.
"""
