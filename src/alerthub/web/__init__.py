"""The web dashboard: server-rendered pages (Jinja2, autoescaped) with a small script for live
updates and actions, all served by the hub itself. A face: imports services/, store/ and the bottom layer."""
