"""Embedded defaults: SQLite in instance/, the simulated lock cloud, Europe/London.

Overridden by instance/config.py, then by CHECKIN_* environment variables, then by the
test dict given to create_app.
"""


class DefaultConfig:
    # No usable default: create_app refuses to serve with a missing key outside testing.
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None  # filled in by create_app: instance/checkin.sqlite
    SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 15}}
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 3 * 60 * 60

    # The app's own log (PIN jobs, lock calls, alerts) goes to stderr at this level.
    LOG_LEVEL = "INFO"

    PROPERTY_NAME = "The Example Guesthouse"
    PROPERTY_TIMEZONE = "Europe/London"
    CHECK_IN_TIME = "15:00"
    CHECK_OUT_TIME = "11:00"
    # How many days before arrival a guest may check in; 0 means from the day of arrival.
    EARLY_CHECK_IN_DAYS = 0
    DEFAULT_PHONE_REGION = "GB"

    CONTACT_PHONE = "+44 20 7946 0000"
    CONTACT_EMAIL = "stay@example.com"
    CONTACT_WHATSAPP = "+44 20 7946 0000"

    # Alerts to the owner (a failed PIN, a guest on the contact page, a lock check): a webhook
    # (ntfy, a chat hook) and/or e-mail. With neither, alerts go to the log at ERROR.
    ALERT_WEBHOOK_URL = None
    ALERT_WEBHOOK_TOPIC = None  # ntfy topic, when ALERT_WEBHOOK_URL is an ntfy server's root
    ALERT_WEBHOOK_TIMEOUT = 10.0
    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_STARTTLS = True
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = None
    MAIL_TIMEOUT = 10.0
    ALERT_EMAIL = None
    ALERT_RETRY_SECONDS = 30.0  # first retry of a failed send; doubles up to an hour
    ALERT_MAX_ATTEMPTS = 8

    LOCK_BACKEND = "simulated"  # simulated | ttlock
    SIMULATED_LOCK_LATENCY = 3.0  # seconds per command, like a gateway
    SIMULATED_LOCK_FAILURE_RATE = 0.0  # share of commands that fail as "gateway offline"
    SIMULATED_LOCK_OFFLINE = []  # TTLock ids of simulated locks whose gateway is down
    TTLOCK_BASE_URL = "https://euapi.ttlock.com"
    TTLOCK_CLIENT_ID = None
    TTLOCK_CLIENT_SECRET = None
    TTLOCK_USERNAME = None
    TTLOCK_PASSWORD = None
    TTLOCK_CONNECT_TIMEOUT = 10
    # A gateway wakes the lock over Bluetooth before it answers: give it time.
    TTLOCK_READ_TIMEOUT = 40
    # Renew the TTLock access token this many days before it expires (0 to 30; it lasts 90).
    TTLOCK_RENEW_DAYS_BEFORE_EXPIRY = 7
    # Seconds between tries of a command the gateway answered "busy" (TTLock -3003, -3037).
    TTLOCK_BUSY_BACKOFF = [5, 15, 60]
    # Where gateway commands queue, one at a time across all workers (default: instance/lock-queues).
    LOCK_QUEUE_DIR = None

    # Anti-automation on "find your booking" (counted in the database, across workers).
    LOOKUP_MISSES_PER_REFERENCE = 5  # misses in the window before the reference is locked
    LOOKUP_MISS_WINDOW_SECONDS = 15 * 60  # also the first lockout; each later one doubles
    LOOKUP_LIMIT_PER_IP_MINUTE = 10
    LOOKUP_LIMIT_PER_IP_HOUR = 50
    GUEST_PIN_RETRIES_PER_HOUR = 3  # "Try again" on the contact page
    # How many proxies (nginx: 1) stand in front of the app and set X-Forwarded-For/-Proto.
    PROXY_COUNT = 0

    # When the maintenance timer checks tonight's locks each day (property time; see `locks check`).
    READINESS_CHECK_AT = "12:00"

    PIN_JOB_THREADS = 4
    # A running job stamps its row this often; one silent for PIN_JOB_STALE_SECONDS is dead.
    PIN_JOB_HEARTBEAT_SECONDS = 5.0
    PIN_JOB_STALE_SECONDS = 30.0
    PIN_ATTEMPTS = 2  # one automatic retry
    # Pause before the retry, so a gateway that just dropped can come back.
    PIN_RETRY_DELAY_SECONDS = 3.0
    # How long Confirm waits for a pending PIN before showing "almost ready".
    CONFIRM_WAIT_SECONDS = 2.0
    ALMOST_READY_REFRESH_SECONDS = 2
