"""Type stubs of the native module agora._agora (python/src/lib.rs). Use the `agora` package's
functions; these take and return JSON text."""

from typing import Callable, List, Optional, Tuple

__version__: str

class Instance:
    @staticmethod
    def from_json(path: str) -> Instance: ...
    @staticmethod
    def from_json_text(text: str, source: str = "<frames>") -> Instance: ...
    @staticmethod
    def generate(size: str = "small", seed: int = 1) -> Instance: ...
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def shape(self) -> Tuple[int, int, int, int]: ...
    @property
    def content_hash(self) -> str: ...
    def to_json(self) -> str: ...

def solve(instance: Instance, settings: Optional[str] = None, backend: Optional[str] = None, time_limit: Optional[float] = None) -> str: ...
def frontier(
    instance: Instance,
    sweeps: List[str],
    points: List[int],
    settings: Optional[str] = None,
    backend: Optional[str] = None,
    time_limit: Optional[float] = None,
    hot_start: bool = True,
    progress: Optional[Callable[[int, int], None]] = None,
    out: Optional[str] = None,
) -> Tuple[str, str]: ...
def report(
    instance: Instance,
    solution: str,
    settings: Optional[str] = None,
    backend: Optional[str] = None,
    gap_profile: str = "mean",
    rule_prices: bool = True,
    out: Optional[str] = None,
) -> Tuple[str, str]: ...
def diagnose(instance: Instance, settings: Optional[str] = None, backend: Optional[str] = None, relax_physical: bool = False) -> str: ...
def export(instance: Instance, solution: str, out: str, format: str = "csv") -> None: ...
def solution_tables(instance: Instance, solution: str) -> Tuple[bytes, bytes]: ...
def estimate(logs: str, instance: Instance, estimator: str = "snips", prior: str = "empirical-bayes") -> Instance: ...
def evaluate(solution: Optional[str], logs: str, instance: Instance, estimator: str = "snips") -> str: ...
def horizon(
    instance: Instance,
    days: int,
    policies: List[Tuple[str, str]],
    replicas: int = 1,
    seed: int = 1,
    discount: float = 0.99,
    settings: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    out: Optional[str] = None,
    dynamics: Optional[Tuple[str, str]] = None,
    warm_start: Optional[str] = None,
    warm_start_estimator: str = "snips",
    warm_start_prior: str = "empirical-bayes",
) -> Tuple[str, str]: ...
def experiment(
    instance: Instance,
    treatment: str,
    designs: List[str],
    fraction: float = 0.5,
    creators: Optional[List[str]] = None,
    days: int = 28,
    warm_up: int = 14,
    block: int = 7,
    burn_in: int = 1,
    arrivals: Optional[int] = None,
    replicas: int = 20,
    seed: int = 1,
    settings: Optional[str] = None,
    out: Optional[str] = None,
) -> Tuple[str, str]: ...
