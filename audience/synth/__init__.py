"""Synthetic raw exports for `audience`: a shop with five true customer segments.

``generate`` writes every source of ``docs/data_contract.md`` (customers, orders, order_items,
web_events, email_events, survey_responses, consent_events) plus the ground truth under
``<out_dir>/_truth/``. ``append_day`` adds one day of micro-batch files for incremental runs.

The simulation, fully vectorised with numpy and seeded (same seed -> byte-identical files):

* Five latent types (``LATENT_TYPES``), see ``audience.synth.params.TYPES`` for their profiles.
* Purchases follow BG/NBD: Poisson purchases at rate lambda ~ Gamma, death after each purchase with
  probability p ~ Beta (lapsed customers are forced to die 6+ months before ``end_date``).
  Order values follow Gamma-Gamma; order lines sum to the order total.
* Browsing (1-3 devices per person, anonymous before signup and when not logged in) stops at death;
  weekly newsletters go to consenting customers; about 10% answer a survey.
* ``shape`` (``Shape``) makes the export look like real ones: only some sources, mostly one-time
  buyers, another currency, cancellations and returns as negative orders.
* ``mess_rate`` injects the defects of real exports; each one is logged in ``_truth/defects.parquet``.

Customers are simulated in fixed chunks of 50,000 and streamed to disk, so memory stays flat.
"""

from ._append import append_day
from ._generate import STEMS, generate
from ._shapes import SOURCES, Shape
from .params import LATENT_TYPES, TYPES

__all__ = ["LATENT_TYPES", "SOURCES", "STEMS", "TYPES", "Shape", "append_day", "generate"]
