"""The classroom app: the escalation story on a live map in the browser (Mesa SolaraViz).

``idlib-sim app`` serves it on 127.0.0.1; it needs nothing from the internet.
"""
