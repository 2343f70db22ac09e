"""Test doubles that ship with the package: the tiny and full-size random Qwen3-VL builders."""
