"""Gunicorn settings shared by the image and compose: the access log never shows a survey token."""

import logging


def post_fork(server, worker):
    from sam.logfilters import RedactSurveyTokens

    for name in ("gunicorn.access", "gunicorn.error"):
        logging.getLogger(name).addFilter(RedactSurveyTokens())
