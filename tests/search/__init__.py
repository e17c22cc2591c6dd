"""Tests of searching (issue 3); a package so its conftest does not shadow the others."""
