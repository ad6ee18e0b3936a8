import os
import sys

from django.core.wsgi import get_wsgi_application

from sam.env import MissingSetting

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sam.settings")
try:
    application = get_wsgi_application()
except MissingSetting as exc:  # one clear line, not a traceback
    sys.stderr.write(f"{exc}\n")
    sys.exit(1)
