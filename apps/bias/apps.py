from django.apps import AppConfig


class BiasConfig(AppConfig):
    name = "apps.bias"
    label = "bias"
