#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sam.settings")
    from django.core.management import execute_from_command_line

    from sam.env import MissingSetting

    try:
        execute_from_command_line(sys.argv)
    except MissingSetting as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)
