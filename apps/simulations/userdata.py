"""The user's simulations, for export and delete (see apps.core.userdata)."""
from apps.core.userdata import user_data_register

user_data_register(model="simulations.Simulation")
