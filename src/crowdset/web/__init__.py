"""Server-rendered pages over the same services as the API (issue #4).

Jinja2 templates, a little htmx, vendored assets (``static/VENDORED.md``), no build step.
"""

from crowdset.web.app import create_web_app

__all__ = ["create_web_app"]
