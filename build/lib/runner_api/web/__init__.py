"""The agents' web page: server-rendered shells (Jinja2) over the same JSON API.

Pages hold no business logic: each is a GET that checks one permission like every API
route, then the page's own script calls the JSON API with the session cookie and the CSRF
token the page carries. Assets are served from this package; nothing comes from a CDN.
"""
