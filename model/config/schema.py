"""The schema of a whole scenario: one typed, immutable record per section (each section's own
record lives with the layer that reads it)."""

from __future__ import annotations

from pydantic import Field

from jukinet.model.config.settings import (
    CardsConfig,
    EventsConfig,
    LinksConfig,
    OperatorsConfig,
    OrganisationConfig,
    ProvisionConfig,
)
from jukinet.model.core.frozen import Frozen
from jukinet.model.law.codes import CodesConfig
from jukinet.model.law.linkage import IdentifiersConfig
from jukinet.model.law.policy import PolicyConfig, RegistryConfig
from jukinet.model.law.statute import Statute
from jukinet.model.world.center import CenterConfig
from jukinet.model.world.population import PopulationConfig
from jukinet.model.world.topology import NetworkConfig
from jukinet.model.world.workload import WorkloadConfig


class ScenarioMeta(Frozen):
    # a safe folder name: results go to out/<kind>/<name> (letters, digits, "_", "-", "." inside; at most 80)
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
    description: str = Field(default="", max_length=300)  # one line for reports (it is copied into each output)
    fiscal_year: int = 2006
    mutant_of: str = Field(default="", pattern=r"^(C(0[1-9]|1[0-6])|L01)?$")  # a mutant: the constraint it must break
    route: str = ""  # a mutant: the route or action it opens (provide, disclosure, link from a CS, relay, ...)


class Config(Frozen):
    """A whole scenario: the statute, the system configuration and the calibration."""

    scenario: ScenarioMeta
    statute: Statute
    registry: RegistryConfig
    policy: PolicyConfig
    network: NetworkConfig
    codes: CodesConfig
    population: PopulationConfig
    workload: WorkloadConfig
    center: CenterConfig
    events: EventsConfig
    cards: CardsConfig
    provision: ProvisionConfig
    operators: OperatorsConfig
    links: LinksConfig
    organisation: OrganisationConfig
    identifiers: IdentifiersConfig = IdentifiersConfig()
