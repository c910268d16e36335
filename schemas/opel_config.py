"""The OPEL scoring configuration file (schemas/reference/opel.yaml), validated on load."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.yaml_loading import safe_load


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: float = Field(gt=0)
    direction: Literal["higher_is_worse", "higher_is_better"]
    bounds: list[float] = Field(min_length=3, max_length=3)

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        ordered = sorted(self.bounds, reverse=self.direction == "higher_is_better")
        if self.bounds != ordered:
            raise ValueError(f"bounds {self.bounds} must run from OPEL 1 towards OPEL 4 for {self.direction}")
        return self


class System(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weights: dict[str, float]
    score_bands: list[float] = Field(min_length=4, max_length=4)


class OpelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Parameter]
    score_bands: list[float] = Field(min_length=4, max_length=4)
    system: System


def load_opel_config(path: Path) -> OpelConfig:
    try:
        config = OpelConfig(**safe_load(path.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise ValueError(f"OPEL configuration {path} is invalid: {exc}") from exc
    # The feed's contract module brings pandera; the code location loads this module without needing it.
    from schemas.opel_submissions import ACUTE_PARAMETERS

    unknown = set(config.parameters) - set(ACUTE_PARAMETERS)
    if unknown:
        raise ValueError(f"OPEL configuration {path} scores parameters the feed does not carry: {sorted(unknown)}")
    return config
