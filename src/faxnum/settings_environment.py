"""Settings read from FAXNUM_* variables by pydantic-settings, loaded only where
settings come from the environment (the command line, an app started on its own)."""

from pydantic_settings import BaseSettings, SettingsConfigDict

from faxnum.config import Settings


class EnvironmentSettings(Settings, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAXNUM_")  # the rest as Settings has it
