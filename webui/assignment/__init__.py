"""Assignment (Art 11-13): work requests, draws, confirmations, designation, usage records."""
