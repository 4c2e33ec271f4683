"""Warnings inbox: filter, acknowledge, assign, resolve, audit trail (JSON API and page)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
