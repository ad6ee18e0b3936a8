"""Two-factor sign-in: after the password, a code from an authenticator app (TOTP, through django-otp's
TOTPDevice), or one of the person's recovery codes.

* A person turns it on from their own settings (``views.two_factor``): the page shows a new key, as a QR code and
  as text, and the key counts only once a code made from it is typed back (the device is then *confirmed*). Ten
  recovery codes are shown once; only their hashes are kept, and each works once.
* Signing in (``signin``): a person with a confirmed device who gives the right password is not signed in yet.
  The session only remembers, for a few minutes, who is halfway; Django's ``login()`` runs once the code is right.
  Until then the session is as anonymous as any other, so no page, partial or API call answers it.
* Wrong codes count where wrong passwords do (django-axes: the same lockout for the same address and email), and
  the halfway state ends after a few of them.
* A workspace may require it of its admins or of everyone (``WorkspaceSettings.two_factor_required``):
  ``middleware`` sends those without it to set it up before any page of that workspace opens.
"""
