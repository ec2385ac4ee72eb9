"""Latent customer types, product catalogue and reference data of the synthetic generator.

Every number that shapes the simulated behaviour lives here, so the generator code stays free of
magic constants and the true segment profiles can be documented (and tested) in one place.
Rates are per 30-day month; the generator converts them to per-day rates.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400  # seconds
MONTH_DAYS = 30.0


@dataclass(frozen=True)
class LatentType:
    """Behavioural profile of one true customer segment."""

    name: str
    share: float  # mixture weight
    # signup age in days before end_date, W = window length in days: uniform in
    # [max(age_lo_days, age_lo_frac * W), min(W, max(age_hi_days, age_hi_frac * W))]
    age_lo_days: float
    age_lo_frac: float
    age_hi_days: float
    age_hi_frac: float
    # BG/NBD purchase process
    orders_per_month: float  # mean of the Gamma prior on lambda
    lambda_shape: float  # Gamma shape of lambda (scale = mean / shape)
    dropout_beta: tuple[float, float]  # Beta(a, b) prior on the dropout probability p
    first_order_delay_days: float  # mean exponential delay signup -> first order
    p_no_order: float  # probability of never ordering
    max_orders: int  # cap on orders (0 = no cap)
    # Gamma-Gamma order values (order_total, EUR)
    aov_mean: float  # mean of the per-customer mean order value
    aov_shape_between: float  # Gamma shape across customers
    order_value_shape: float  # Gamma shape of single orders around the customer mean
    extra_lines_mean: float  # Poisson mean of order lines beyond the first
    discount_prob: float  # share of orders with a discount
    discount_frac: float  # mean discount / gross on discounted orders
    # web / app behaviour
    sessions_per_month: float  # browse sessions while alive (purchase sessions come on top)
    abandon_share: float  # share of browse sessions with add_to_cart but no purchase
    app_affinity: float  # probability that an extra device is an app
    store_share: float  # share of orders placed in a store (no web session)
    # email, survey, profile
    email_consent_p: float
    email_target_p: float  # probability to be in the audience of one weekly campaign
    email_open_p: float
    email_click_p: float  # click probability given an open
    nps_mean: float
    category_weights: tuple[float, ...]
    income_probs: tuple[float, float, float]  # low, middle, high
    age_years: tuple[float, float]
    preferred_channel_probs: tuple[float, float, float, float]  # email, sms, app, none


# Order: electronics, fashion, home_garden, beauty, sports, books, toys, grocery
CATEGORIES: tuple[str, ...] = (
    "electronics",
    "fashion",
    "home_garden",
    "beauty",
    "sports",
    "books",
    "toys",
    "grocery",
)
PRODUCTS_PER_CATEGORY = 250

TYPES: tuple[LatentType, ...] = (
    LatentType(
        name="loyal_high_value",
        share=0.15,
        age_lo_days=300,
        age_lo_frac=0.55,
        age_hi_days=0,
        age_hi_frac=1.0,
        orders_per_month=1.8,
        lambda_shape=8.0,
        dropout_beta=(1.0, 1000.0),
        first_order_delay_days=3,
        p_no_order=0.0,
        max_orders=0,
        aov_mean=150.0,
        aov_shape_between=10.0,
        order_value_shape=8.0,
        extra_lines_mean=1.2,
        discount_prob=0.08,
        discount_frac=0.10,
        sessions_per_month=2.0,
        abandon_share=0.15,
        app_affinity=0.6,
        store_share=0.15,
        email_consent_p=0.97,
        email_target_p=0.30,
        email_open_p=0.60,
        email_click_p=0.30,
        nps_mean=9.0,
        category_weights=(3, 2, 2.5, 1, 1.5, 1, 0.5, 0.5),
        income_probs=(0.1, 0.4, 0.5),
        age_years=(35, 65),
        preferred_channel_probs=(0.5, 0.1, 0.35, 0.05),
    ),
    LatentType(
        name="occasional",
        share=0.30,
        age_lo_days=120,
        age_lo_frac=0.0,
        age_hi_days=0,
        age_hi_frac=1.0,
        orders_per_month=0.20,
        lambda_shape=8.0,
        dropout_beta=(1.0, 200.0),
        first_order_delay_days=10,
        p_no_order=0.0,
        max_orders=0,
        aov_mean=60.0,
        aov_shape_between=8.0,
        order_value_shape=6.0,
        extra_lines_mean=0.5,
        discount_prob=0.20,
        discount_frac=0.15,
        sessions_per_month=1.5,
        abandon_share=0.20,
        app_affinity=0.3,
        store_share=0.10,
        email_consent_p=0.95,
        email_target_p=0.25,
        email_open_p=0.32,
        email_click_p=0.12,
        nps_mean=7.0,
        category_weights=(1.5, 1.5, 1.5, 1, 1, 1.5, 1, 0.5),
        income_probs=(0.3, 0.5, 0.2),
        age_years=(25, 70),
        preferred_channel_probs=(0.4, 0.2, 0.1, 0.3),
    ),
    LatentType(
        name="deal_hunter",
        share=0.20,
        age_lo_days=150,
        age_lo_frac=0.0,
        age_hi_days=0,
        age_hi_frac=1.0,
        orders_per_month=1.0,
        lambda_shape=6.0,
        dropout_beta=(1.0, 500.0),
        first_order_delay_days=5,
        p_no_order=0.0,
        max_orders=0,
        aov_mean=25.0,
        aov_shape_between=10.0,
        order_value_shape=6.0,
        extra_lines_mean=0.8,
        discount_prob=0.90,
        discount_frac=0.42,
        sessions_per_month=1.2,
        abandon_share=0.35,
        app_affinity=0.5,
        store_share=0.05,
        email_consent_p=0.97,
        email_target_p=0.30,
        email_open_p=0.50,
        email_click_p=0.45,
        nps_mean=6.5,
        category_weights=(0.5, 2, 0.7, 2, 0.7, 0.5, 1.5, 3),
        income_probs=(0.5, 0.4, 0.1),
        age_years=(20, 45),
        preferred_channel_probs=(0.6, 0.15, 0.2, 0.05),
    ),
    LatentType(
        name="new_visitor",
        share=0.20,
        age_lo_days=1,
        age_lo_frac=0.0,
        age_hi_days=60,
        age_hi_frac=0.0,
        orders_per_month=0.6,
        lambda_shape=4.0,
        dropout_beta=(1.0, 20.0),
        first_order_delay_days=4,
        p_no_order=0.10,
        max_orders=2,
        aov_mean=50.0,
        aov_shape_between=8.0,
        order_value_shape=6.0,
        extra_lines_mean=0.5,
        discount_prob=0.20,
        discount_frac=0.12,
        sessions_per_month=6.0,
        abandon_share=0.30,
        app_affinity=0.4,
        store_share=0.0,
        email_consent_p=0.92,
        email_target_p=0.25,
        email_open_p=0.35,
        email_click_p=0.20,
        nps_mean=8.0,
        category_weights=(1, 2.5, 1, 2, 1, 0.7, 0.7, 1),
        income_probs=(0.35, 0.45, 0.2),
        age_years=(18, 40),
        preferred_channel_probs=(0.3, 0.1, 0.4, 0.2),
    ),
    LatentType(
        name="lapsed",
        share=0.15,
        age_lo_days=420,
        age_lo_frac=0.70,
        age_hi_days=0,
        age_hi_frac=1.0,
        orders_per_month=0.8,
        lambda_shape=5.0,
        dropout_beta=(2.0, 6.0),
        first_order_delay_days=5,
        p_no_order=0.0,
        max_orders=0,
        aov_mean=140.0,
        aov_shape_between=8.0,
        order_value_shape=6.0,
        extra_lines_mean=0.8,
        discount_prob=0.15,
        discount_frac=0.12,
        sessions_per_month=0.6,
        abandon_share=0.20,
        app_affinity=0.3,
        store_share=0.10,
        email_consent_p=0.93,
        email_target_p=0.25,
        email_open_p=0.25,
        email_click_p=0.15,
        nps_mean=4.0,
        category_weights=(2, 1, 2.5, 0.7, 1.5, 1.5, 0.7, 0.4),
        income_probs=(0.2, 0.5, 0.3),
        age_years=(30, 70),
        preferred_channel_probs=(0.2, 0.2, 0.1, 0.5),
    ),
)

LATENT_TYPES: tuple[str, ...] = tuple(t.name for t in TYPES)
LAPSED = LATENT_TYPES.index("lapsed")
NEW_VISITOR = LATENT_TYPES.index("new_visitor")

# Lapsed customers die between 180 days before end_date and 45 days after signup.
LAPSED_MIN_DEAD_DAYS = 180.0
# Engagement of dead customers (BG/NBD dropouts and lapsed alike).
DEAD_OPEN_P = 0.02
DEAD_UNSUB_P = 0.04
ALIVE_UNSUB_P = 0.004
BOUNCE_P = 0.01
# Anonymous browsing: sessions in the 30 days before signup, and visitors who never register.
PRE_SIGNUP_SESSIONS = 1.0
ANON_VISITORS_PER_CUSTOMER = 0.3
ANON_SESSIONS_EXTRA = 1.2
SURVEY_P = 0.10
SURVEY_EMAIL_ONLY_P = 0.15

ORDER_STATUSES = ("completed", "returned", "cancelled")
ORDER_STATUS_P = (0.92, 0.05, 0.03)
QUANTITY_P = (0.75, 0.18, 0.07)  # 1, 2, 3 units

GENDERS = ("female", "male", "other")
GENDER_P = (0.50, 0.48, 0.02)
GENDER_VARIANTS = {
    "female": ("f", "F", "w", "Female"),
    "male": ("m", "M", "Male"),
    "other": ("x", "X", "Other"),
}
INCOME_BANDS = ("low", "middle", "high")
PREFERRED_CHANNELS = ("email", "sms", "app", None)

FIRST_NAMES_F = (
    "anna",
    "maria",
    "laura",
    "julia",
    "sophie",
    "emma",
    "lea",
    "clara",
    "lena",
    "sara",
    "marie",
    "elena",
    "nina",
    "paula",
    "hannah",
    "ines",
    "chloe",
    "lucia",
    "eva",
    "mila",
)
FIRST_NAMES_M = (
    "lukas",
    "paul",
    "jonas",
    "felix",
    "leon",
    "max",
    "david",
    "elias",
    "noah",
    "louis",
    "marco",
    "pablo",
    "thomas",
    "jan",
    "tim",
    "hugo",
    "luca",
    "matteo",
    "finn",
    "daniel",
)
LAST_NAMES = (
    "mueller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "martin",
    "bernard",
    "dubois",
    "thomas",
    "robert",
    "richard",
    "petit",
    "durand",
    "jansen",
    "devries",
    "bakker",
    "visser",
    "smit",
    "garcia",
    "fernandez",
    "lopez",
    "martinez",
    "rossi",
    "russo",
    "ferrari",
    "esposito",
    "bianchi",
    "romano",
    "gruber",
    "huber",
    "bauer",
    "wagner",
    "peeters",
    "janssens",
    "maes",
    "jacobs",
    "mertens",
    "willems",
    "claes",
    "wouters",
)
# RFC 2606 / RFC 6761 reserved names: synthetic addresses can never reach a real mailbox.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.test")

# code, English name, phone country code, weight, (region, city) pairs
COUNTRIES: tuple[tuple[str, str, str, float, tuple[tuple[str, str], ...]], ...] = (
    (
        "DE",
        "Germany",
        "49",
        0.40,
        (
            ("Bavaria", "Munich"),
            ("Berlin", "Berlin"),
            ("Hamburg", "Hamburg"),
            ("North Rhine-Westphalia", "Cologne"),
        ),
    ),
    (
        "FR",
        "France",
        "33",
        0.15,
        (
            ("Ile-de-France", "Paris"),
            ("Auvergne-Rhone-Alpes", "Lyon"),
            ("Occitanie", "Toulouse"),
            ("Provence-Alpes-Cote d'Azur", "Marseille"),
        ),
    ),
    (
        "NL",
        "Netherlands",
        "31",
        0.10,
        (
            ("North Holland", "Amsterdam"),
            ("South Holland", "Rotterdam"),
            ("Utrecht", "Utrecht"),
            ("North Brabant", "Eindhoven"),
        ),
    ),
    (
        "AT",
        "Austria",
        "43",
        0.08,
        (("Vienna", "Vienna"), ("Styria", "Graz"), ("Upper Austria", "Linz"), ("Salzburg", "Salzburg")),
    ),
    (
        "ES",
        "Spain",
        "34",
        0.10,
        (
            ("Madrid", "Madrid"),
            ("Catalonia", "Barcelona"),
            ("Valencia", "Valencia"),
            ("Andalusia", "Seville"),
        ),
    ),
    (
        "IT",
        "Italy",
        "39",
        0.10,
        (("Lombardy", "Milan"), ("Lazio", "Rome"), ("Campania", "Naples"), ("Piedmont", "Turin")),
    ),
    (
        "BE",
        "Belgium",
        "32",
        0.07,
        (("Brussels", "Brussels"), ("Flanders", "Antwerp"), ("Flanders", "Ghent"), ("Wallonia", "Liege")),
    ),
)
CITIES_PER_COUNTRY = 4

COMMENTS: dict[str, tuple[str, ...]] = {
    "detractor": (
        "Delivery took far too long.",
        "Prices went up, I shop elsewhere now.",
        "Customer service never answered my email.",
        "The product broke after a week.",
        "Too many emails, not relevant to me.",
    ),
    "passive": (
        "Good selection, but shipping costs are high.",
        "OK overall.",
        "Website is a bit slow on mobile.",
        "Fine, nothing special.",
        "Would like more discounts.",
    ),
    "promoter": (
        "Great quality and fast delivery!",
        "Love the app, very easy to order.",
        "Excellent service, I recommend you to all my friends.",
        "Always find what I need.",
        "Best shop for gifts.",
    ),
}

UNPARSEABLE_DATES = ("not a date", "2024-13-45", "0000-00-00", "31.02.2024")
ABSURD_TOTALS_CENTS = (99_000_000_000, 9_999_999_999, 12_345_678_900)
