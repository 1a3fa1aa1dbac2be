"""Admission (Art 10): public calls, applications, invitations, paper entry, attachments."""
