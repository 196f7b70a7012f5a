"""Settings: precedence, model prefixes, problems instead of crashes, keys kept secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.config import OLLAMA_URL, OPENROUTER_URL, Settings, describe, load_settings, mask_key

KEY = "sk-test-0123456789abcdefWXYZ"
OR_KEY = "sk-or-v1-0123456789abcdef9876"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_anything_are_offline(tmp_path: Path) -> None:
    settings, problems = load_settings(env={}, path=tmp_path / "missing.toml")
    assert problems == []
    assert settings.provider == "offline"
    assert settings.api_key is None
    assert (settings.connect_timeout, settings.read_timeout, settings.max_retries) == (10, 60, 3)
    assert settings.token_budget == 12000 and settings.theme == "textual-dark"


def test_precedence_file_then_env_then_cli(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'provider = "openai"\nmodel = "from-file"\nbase_url = "http://file.local/v1"\n'
        "read_timeout = 30\n",
    )
    settings, _ = load_settings(env={}, path=path)
    assert (settings.model, settings.base_url, settings.read_timeout) == (
        "from-file", "http://file.local/v1", 30
    )
    env = {"BACKEND_COPILOT_MODEL": "from-env", "OPENAI_BASE_URL": "http://env.local/v1"}
    settings, _ = load_settings(env=env, path=path)
    assert (settings.model, settings.base_url) == ("from-env", "http://env.local/v1")
    assert settings.read_timeout == 30  # untouched keys keep the file's value
    cli = {"model": "from-cli", "base_url": "http://cli.local/v1"}
    settings, problems = load_settings(cli=cli, env=env, path=path)
    assert (settings.model, settings.base_url) == ("from-cli", "http://cli.local/v1")
    assert problems == []


def test_env_provider_overrides_file_and_cli_overrides_env(tmp_path: Path) -> None:
    path = write(tmp_path, 'provider = "ollama"\n')
    env = {"BACKEND_COPILOT_PROVIDER": "OpenAI", "OPENAI_API_KEY": KEY}
    assert load_settings(env=env, path=path)[0].provider == "openai"
    assert load_settings(cli={"provider": "offline"}, env=env, path=path)[0].provider == "offline"


def test_openrouter_prefix(tmp_path: Path) -> None:
    settings, problems = load_settings(
        cli={"model": "openrouter/anthropic/claude-sonnet-4"},
        env={"OPENROUTER_API_KEY": OR_KEY, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://x/v1"},
        path=tmp_path / "none.toml",
    )
    assert problems == []
    assert settings.provider == "openrouter"
    assert settings.model == "anthropic/claude-sonnet-4"
    assert settings.base_url == OPENROUTER_URL  # the OpenAI variable does not redirect it
    assert settings.api_key is not None and settings.api_key.get_secret_value() == OR_KEY
    assert settings.key_env == "OPENROUTER_API_KEY"


def test_openai_and_ollama_prefixes(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    openai, _ = load_settings(cli={"model": "openai/gpt-4o"}, env={"OPENAI_API_KEY": KEY}, path=none)
    assert (openai.provider, openai.model) == ("openai", "gpt-4o")
    assert openai.api_key is not None and openai.api_key.get_secret_value() == KEY
    ollama, problems = load_settings(cli={"model": "ollama/llama3"}, env={}, path=none)
    assert problems == []
    assert (ollama.provider, ollama.model, ollama.base_url) == ("ollama", "llama3", OLLAMA_URL)
    assert ollama.api_key is None


def test_openrouter_model_ids_keep_their_vendor(tmp_path: Path) -> None:
    settings, _ = load_settings(
        cli={"provider": "openrouter", "model": "openai/gpt-4o"},
        env={"OPENROUTER_API_KEY": OR_KEY},
        path=tmp_path / "none.toml",
    )
    assert (settings.provider, settings.model) == ("openrouter", "openai/gpt-4o")


def test_effective_provider(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    assert load_settings(env={"OPENAI_API_KEY": KEY}, path=none)[0].provider == "openai"
    local, _ = load_settings(env={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}, path=none)
    assert (local.provider, local.base_url, local.api_key) == ("openai", "http://127.0.0.1:8080/v1", None)
    assert load_settings(env={"OPENROUTER_API_KEY": OR_KEY}, path=none)[0].provider == "openrouter"
    custom, problems = load_settings(cli={"provider": "custom"}, env={}, path=none)
    assert custom.provider == "offline"
    assert len(problems) == 1 and "base_url" in problems[0]
    custom, problems = load_settings(
        cli={"provider": "custom", "base_url": "http://127.0.0.1:9/v1"}, env={}, path=none
    )
    assert (custom.provider, problems) == ("custom", [])


def test_requested_provider_without_key_falls_back_with_a_problem(tmp_path: Path) -> None:
    settings, problems = load_settings(cli={"provider": "openrouter"}, env={}, path=tmp_path / "n")
    assert settings.provider == "offline"
    assert len(problems) == 1
    assert "OPENROUTER_API_KEY" in problems[0] and "offline" in problems[0]


def test_key_from_file_when_env_has_none(tmp_path: Path) -> None:
    path = write(tmp_path, f'provider = "openai"\napi_key = "{KEY}"\n')
    settings, problems = load_settings(env={}, path=path)
    assert problems == []
    assert settings.api_key is not None and settings.api_key.get_secret_value() == KEY
    other = "sk-env-key-000000000000"
    settings, _ = load_settings(env={"OPENAI_API_KEY": other}, path=path)
    assert settings.api_key is not None and settings.api_key.get_secret_value() == other


def test_invalid_values_become_problems_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'provider = "anthropic-direct"\nconnect_timeout = "soon"\nmax_retries = -1\n'
        'token_budget = 12.5\nbase_url = "ftp://example"\nread_timeout = 45\n',
    )
    settings, problems = load_settings(env={}, path=path)
    assert settings.provider == "offline"
    assert (settings.connect_timeout, settings.max_retries, settings.token_budget) == (10, 3, 12000)
    assert settings.base_url is None
    assert settings.read_timeout == 45  # good keys still apply
    assert len(problems) == 5
    by_key = {p.split(" ")[0]: p for p in problems}
    assert set(by_key) == {"provider", "connect_timeout", "max_retries", "token_budget", "base_url"}
    assert "'soon'" in by_key["connect_timeout"] and "using the default 10" in by_key["connect_timeout"]
    assert "offline, openai, openrouter, ollama, custom" in by_key["provider"]
    assert all("\n" not in p and str(path) in p for p in problems)


def test_invalid_env_and_cli_values_name_their_source(tmp_path: Path) -> None:
    settings, problems = load_settings(
        cli={"base_url": "localhost:1234"},
        env={"BACKEND_COPILOT_PROVIDER": "gemini"},
        path=tmp_path / "none.toml",
    )
    assert settings.provider == "offline"
    assert any("BACKEND_COPILOT_PROVIDER" in p and "'gemini'" in p for p in problems)
    assert any("--base-url" in p and "http://" in p for p in problems)


def test_unknown_key_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, 'modle = "gpt-4o"\n[section]\nx = 1\n')
    settings, problems = load_settings(env={}, path=path)
    assert settings.provider == "offline"
    assert problems[0].startswith(f"unknown key 'modle' in {path}; valid keys: provider, model")
    assert any("'section'" in p for p in problems)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'model = "ok"\ntheme = \n')
    settings, problems = load_settings(env={}, path=path)
    assert settings.theme == "textual-dark"
    assert len(problems) == 1 and "line 2" in problems[0] and str(path) in problems[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, 'model = "x"\n')
    path.chmod(0o000)
    settings, problems = load_settings(env={}, path=path)
    assert settings.provider == "offline"
    assert len(problems) == 1 and "Cannot read" in problems[0]


def test_config_path_that_is_a_directory_is_a_problem(tmp_path: Path) -> None:
    settings, problems = load_settings(env={}, path=tmp_path)
    assert settings.provider == "offline"
    assert len(problems) == 1 and "Cannot read" in problems[0]


def test_file_from_config_dir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKEND_COPILOT_CONFIG_DIR", str(tmp_path))
    write(tmp_path, "token_budget = 4000\n")
    settings, _ = load_settings(env={})
    assert settings.token_budget == 4000
    assert settings.config_path == str(tmp_path / "config.toml")


def test_key_is_masked_everywhere(tmp_path: Path) -> None:
    bad_file = write(tmp_path, "api_key = 12345\n")
    settings, problems = load_settings(env={"OPENAI_API_KEY": KEY}, path=bad_file)
    assert KEY not in repr(settings) and KEY not in str(settings)
    assert KEY not in settings.model_dump_json()
    rows = dict(describe(settings))
    assert rows["api_key"] == "sk-…WXYZ (from OPENAI_API_KEY)"
    assert all(KEY not in value for _, value in describe(settings))
    assert rows["config file"] == str(bad_file)
    assert problems and "12345" not in problems[0] and "(hidden)" in problems[0]


def test_describe_without_key(tmp_path: Path) -> None:
    settings, _ = load_settings(env={}, path=tmp_path / "none.toml")
    rows = dict(describe(settings))
    assert rows["api_key"] == "(not set)"
    assert rows["provider"].startswith("offline")
    assert rows["config file"].endswith("(not found)")


def test_mask_key() -> None:
    assert mask_key(None) == "(not set)"
    assert mask_key("short") == "(set, hidden)"
    assert mask_key("sk-proj-abcdefghijkl1234") == "sk-…1234"


def test_settings_repr_masks_key_set_directly() -> None:
    settings = Settings(provider="openai", api_key=KEY)  # type: ignore[arg-type]
    assert KEY not in repr(settings) and KEY not in f"{settings}"


def test_paths_follow_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent import paths

    monkeypatch.setenv("BACKEND_COPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BACKEND_COPILOT_CONFIG_DIR", str(tmp_path / "conf"))
    monkeypatch.setenv("BACKEND_COPILOT_EXPORT_DIR", str(tmp_path / "out"))
    assert paths.sessions_dir() == tmp_path / "data" / "sessions"
    assert paths.config_file() == tmp_path / "conf" / "config.toml"
    assert not (tmp_path / "data").exists()  # asking for a path creates nothing
    created = [paths.sessions_dir(create=True), paths.config_dir(create=True),
               paths.export_dir(create=True)]
    for directory in [*created, tmp_path / "data"]:
        assert directory.is_dir()
        assert (directory.stat().st_mode & 0o777) == 0o700


def test_default_paths_use_the_app_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent import paths

    for var in ("BACKEND_COPILOT_DATA_DIR", "BACKEND_COPILOT_CONFIG_DIR", "BACKEND_COPILOT_EXPORT_DIR"):
        monkeypatch.delenv(var, raising=False)
    assert "backend-copilot" in paths.data_dir().parts
    assert "backend-copilot" in paths.config_dir().parts
    assert paths.export_dir().name == "backend-copilot"
