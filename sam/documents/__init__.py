"""One PDF pipeline for every report: a Document row, a Celery render through WeasyPrint, a scoped download.

Apps register their kinds of document (``registry.register``) with a
function that gathers the data and the template that lays it out; the
pipeline does the rest the same way for all of them.
"""
