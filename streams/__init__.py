"""Siebel Energy → CC&B customer synchronization as a CDC stream processor."""
