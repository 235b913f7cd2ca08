"""The only home of SQL. One Repository class, assembled from one store per aggregate."""

from salescli.repository.activities import ActivityStore
from salescli.repository.base import Query, Row, translate_sqlite_error
from salescli.repository.crm import CrmStore
from salescli.repository.deals import DealStore
from salescli.repository.imports import ImportStore
from salescli.repository.metrics import MetricStore
from salescli.repository.targets import TargetStore


class Repository(CrmStore, ActivityStore, DealStore, MetricStore, TargetStore, ImportStore):
    """A salescli database: open with Repository.open(path, create=...)."""


__all__ = ["Query", "Repository", "Row", "translate_sqlite_error"]
