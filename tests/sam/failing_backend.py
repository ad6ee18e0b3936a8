from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """An SMTP relay that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("relay unreachable")


class RecordingBackend(BaseEmailBackend):
    """A relay that notes what happens on its connection, and the outbox row's state when it is closed."""

    events: list[str] = []

    def open(self):
        self.events.append("open")
        return True

    def send_messages(self, email_messages):
        self.events.append("send")
        return len(email_messages)

    def close(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM sam_outboundemail ORDER BY id DESC LIMIT 1")
            self.events.append(f"close with the row {cursor.fetchone()[0]}")
