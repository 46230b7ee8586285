from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    name = "apps.simulations"
    label = "simulations"
