"""Builds the real collaborators lazily, once per instance, from one settings object.

Nothing here runs at import: the first request of an instance pays for reading the settings and
the deployment file and for creating the clients; later requests reuse them. The mail stack
(composition, MIME, transports) is imported only by the functions that deliver mail.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2
from google.cloud import firestore

from .common.clock import Clock, SystemClock
from .common.logs import configure_logging
from .common.personal_keys import PersonalKeys
from .common.rendering import deployment_environment
from .common.signed_links import Links
from .deployment.layout import Layout
from .deployment.loading import load_deployment
from .deployment.people import People, PeopleCache
from .deployment.structure import Deployment
from .settings import Settings
from .store import Store

if TYPE_CHECKING:
    from .mail.delivery import Mailer


@dataclass(frozen=True, eq=False)  # one per instance: compared and hashed by identity
class Runtime:
    settings: Settings
    deployment: Deployment
    store: Store
    layout: Layout  # the deployment's streets, as the overview's counters know them
    templates: jinja2.Environment
    links: Links
    keys: PersonalKeys  # document ids and link subjects made from addresses and numbers
    clock: Clock
    people_cache: PeopleCache

    @property
    def people(self) -> People:
        """Who coordinates each group and who sits in the regiegroep, as of a few minutes ago
        at most (see people.py)."""
        return self.people_cache.current()

    @functools.cached_property
    def mailer(self) -> Mailer:
        """Delivery's collaborators, built on first use: only the functions that send mail
        (delivery, the sweep, the maintainer's CLI) pay for the transport."""
        from .mail.compose import Composer
        from .mail.delivery import Mailer
        from .mail.outbox import Outbox
        from .mail.transports import transport_from_settings

        return Mailer(
            outbox=Outbox(_firestore_client()),
            composer=Composer(
                self.templates,
                self.links,
                self.keys,
                self.deployment.initiative,
                self.settings.mail_sender,
            ),
            transport=transport_from_settings(self.settings),
            clock=self.clock,
        )


@functools.cache
def _firestore_client() -> firestore.Client:
    return firestore.Client(
        project=os.environ.get("GOOGLE_CLOUD_PROJECT") or None,
        database=os.environ.get("FIRESTORE_DATABASE") or "(default)",
    )


@dataclass(frozen=True, eq=False)
class Configuration:
    """What the environment and the deployment file say, without any client: all that a
    command needs that touches no Firestore (the print command)."""

    settings: Settings
    deployment: Deployment
    templates: jinja2.Environment


@functools.cache
def configuration() -> Configuration:
    settings = Settings.from_env()
    deployment = load_deployment(settings.deployment_file)
    templates = deployment_environment(settings.templates_dir, deployment.initiative)
    return Configuration(settings, deployment, templates)


@functools.cache
def runtime() -> Runtime:
    configure_logging()
    configured = configuration()
    settings, deployment, templates = (
        configured.settings,
        configured.deployment,
        configured.templates,
    )
    clock = SystemClock()
    layout = Layout(deployment)
    store = Store(_firestore_client(), layout)
    return Runtime(
        settings=settings,
        deployment=deployment,
        store=store,
        layout=layout,
        templates=templates,
        links=Links(settings.signing_key, settings.public_base_url, clock),
        keys=PersonalKeys(settings.key_pepper),
        clock=clock,
        people_cache=PeopleCache(
            store.read_people, People.from_deployment(deployment), settings.people_cache_seconds
        ),
    )


def reset() -> None:
    """Forget the built collaborators, so the next call reads the environment anew."""
    for cached in (_firestore_client, configuration, runtime):
        cached.cache_clear()
