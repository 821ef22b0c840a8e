"""Online payments: the provider interface, the sandbox adapter and its demonstration
bank, the provider chosen by the settings, and the receipt PDF.

The portal creates a payment with the provider, sends the parent there, and credits the
wallet only on what the provider proves: a notification signed with the shared secret,
or the answer to a status query the portal asked itself (docs/operations.md, payments).
"""
