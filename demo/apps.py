from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo letter's story and `seed_demo`: uses the domain apps as an operator would; nothing imports it."""

    name = "demo"
