"""The TOML configuration: where it is found, what it holds, and how mistakes are reported."""

from __future__ import annotations

import traceback
from pathlib import Path

import platformdirs
import pytest

from neoclone_core.config import CacheSettings, ProviderSettings, Settings, load_settings
from neoclone_core.errors import ConfigError

FULL_CONFIG = """
home = "store"
provider_preference = ["openrouter", "groq", "local"]
disabled_plugins = ["neoclone-provider-replicate"]
discovery_timeout = 20
request_timeout = 45.5

[cache]
ttl_days = 2
backoff_base_seconds = 30
backoff_cap_seconds = 600

[providers.openrouter]
enabled = true
base_url = "https://openrouter.ai/api/v1"
timeout = 30
api_key_env = "MY_OPENROUTER_KEY"

[providers.replicate]
enabled = false
"""

FAKE_KEY = "sk-or-v1-" + "0123456789abcdef" * 3


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> ConfigError:
    config = write(tmp_path / "neoclone.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={}, cwd=tmp_path)
    return info.value


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)

    assert settings == Settings(home=platformdirs.user_cache_path("neoclone"))
    assert settings.config_path is None
    assert settings.discovery_timeout == 30.0
    assert settings.request_timeout == 60.0
    assert settings.cache == CacheSettings(
        ttl_seconds=7 * 86400, backoff_base_seconds=60.0, backoff_cap_seconds=21600.0
    )
    assert settings.provider("openrouter") == ProviderSettings()


def test_full_file_is_parsed_into_settings(tmp_path: Path) -> None:
    config = write(tmp_path / "conf" / "neoclone.toml", FULL_CONFIG)

    settings = load_settings(config, env={}, cwd=tmp_path)

    assert settings == Settings(
        home=tmp_path / "conf" / "store",
        config_path=config,
        provider_preference=("openrouter", "groq", "local"),
        disabled_plugins=("neoclone-provider-replicate",),
        discovery_timeout=20.0,
        request_timeout=45.5,
        providers={
            "openrouter": ProviderSettings(
                enabled=True,
                base_url="https://openrouter.ai/api/v1",
                timeout=30.0,
                api_key_env="MY_OPENROUTER_KEY",
            ),
            "replicate": ProviderSettings(enabled=False),
        },
        cache=CacheSettings(
            ttl_seconds=2 * 86400, backoff_base_seconds=30, backoff_cap_seconds=600
        ),
    )
    assert isinstance(settings.discovery_timeout, float)


def test_provider_without_a_section_gets_defaults(tmp_path: Path) -> None:
    config = write(tmp_path / "neoclone.toml", FULL_CONFIG)

    settings = load_settings(config, env={}, cwd=tmp_path)

    assert settings.provider("groq") == ProviderSettings()
    assert settings.provider("replicate").enabled is False


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    config = write(tmp_path / "neoclone.toml", "")

    settings = load_settings(config, env={}, cwd=tmp_path)

    assert settings == Settings(home=platformdirs.user_cache_path("neoclone"), config_path=config)


def test_path_argument_beats_env_and_cwd(tmp_path: Path) -> None:
    explicit = write(tmp_path / "explicit.toml", "request_timeout = 1")
    named = write(tmp_path / "named.toml", "request_timeout = 2")
    write(tmp_path / "neoclone.toml", "request_timeout = 3")

    settings = load_settings(explicit, env={"NEOCLONE_CONFIG": str(named)}, cwd=tmp_path)

    assert (settings.config_path, settings.request_timeout) == (explicit, 1.0)


def test_neoclone_config_env_beats_cwd_file(tmp_path: Path) -> None:
    named = write(tmp_path / "named.toml", "request_timeout = 2")
    write(tmp_path / "neoclone.toml", "request_timeout = 3")

    settings = load_settings(env={"NEOCLONE_CONFIG": str(named)}, cwd=tmp_path)

    assert (settings.config_path, settings.request_timeout) == (named, 2.0)


def test_cwd_file_is_used_when_nothing_else_is_named(tmp_path: Path) -> None:
    local = write(tmp_path / "neoclone.toml", "request_timeout = 3")

    settings = load_settings(env={}, cwd=tmp_path)

    assert (settings.config_path, settings.request_timeout) == (local, 3.0)


def test_relative_paths_are_resolved_against_cwd(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "named.toml", "request_timeout = 2")

    settings = load_settings(env={"NEOCLONE_CONFIG": "sub/named.toml"}, cwd=tmp_path)

    assert settings.config_path == tmp_path / "sub" / "named.toml"


def test_missing_neoclone_config_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError, match="NEOCLONE_CONFIG") as info:
        load_settings(env={"NEOCLONE_CONFIG": str(missing)}, cwd=tmp_path)

    assert str(missing) in str(info.value)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml"):
        load_settings(tmp_path / "nowhere.toml", env={}, cwd=tmp_path)


def test_neoclone_home_overrides_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "neoclone.toml", 'home = "from-file"')

    settings = load_settings(config, env={"NEOCLONE_HOME": str(tmp_path / "env")}, cwd=tmp_path)

    assert settings.home == tmp_path / "env"


def test_neoclone_home_overrides_the_default(tmp_path: Path) -> None:
    settings = load_settings(env={"NEOCLONE_HOME": "rel"}, cwd=tmp_path)

    assert settings.home == tmp_path / "rel"


def test_relative_home_is_resolved_against_the_file_directory(tmp_path: Path) -> None:
    config = write(tmp_path / "a" / "b" / "neoclone.toml", 'home = "../store"')

    settings = load_settings(config, env={}, cwd=tmp_path / "elsewhere")

    assert settings.home == tmp_path / "a" / "b" / ".." / "store"


def test_home_expands_the_user_directory(tmp_path: Path) -> None:
    config = write(tmp_path / "neoclone.toml", 'home = "~/neo"')

    settings = load_settings(config, env={}, cwd=tmp_path)

    assert settings.home == Path("~/neo").expanduser()


def test_disable_plugins_env_is_merged_after_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "neoclone.toml", 'disabled_plugins = ["a", "b"]')
    env = {"NEOCLONE_DISABLE_PLUGINS": " c, ,b,, d "}

    settings = load_settings(config, env=env, cwd=tmp_path)

    assert settings.disabled_plugins == ("a", "b", "c", "d")


def test_exclude_training_on_prompts_is_read_and_off_by_default(tmp_path: Path) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text("exclude_training_on_prompts = true\n")
    assert load_settings(config, env={}).exclude_training_on_prompts is True
    config.write_text("")
    assert load_settings(config, env={}).exclude_training_on_prompts is False
    config.write_text('exclude_training_on_prompts = "yes"\n')
    with pytest.raises(ConfigError, match="exclude_training_on_prompts"):
        load_settings(config, env={})


def test_disable_plugins_env_works_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(env={"NEOCLONE_DISABLE_PLUGINS": "x"}, cwd=tmp_path)

    assert settings.disabled_plugins == ("x",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[cache]\nttl = 3",
            "unknown key 'cache.ttl' (known: backoff_base_seconds, backoff_cap_seconds, ttl_days)",
            id="unknown-key",
        ),
        pytest.param(
            "[cache]\nttl_day = 3",
            "unknown key 'cache.ttl_day' (did you mean 'ttl_days'? known: ",
            id="unknown-key-with-suggestion",
        ),
        pytest.param("colour = 1", "unknown key 'colour' (known: ", id="unknown-top-key"),
        pytest.param(
            "[providers.groq]\nenable = false",
            "unknown key 'providers.groq.enable' (did you mean 'enabled'?",
            id="unknown-provider-key",
        ),
        pytest.param(
            '[providers.openrouter]\ntimeout = "fast"',
            "providers.openrouter.timeout must be a number > 0, got 'fast'",
            id="string-for-number",
        ),
        pytest.param(
            "discovery_timeout = true",
            "discovery_timeout must be a number > 0, got True",
            id="bool-is-not-a-number",
        ),
        pytest.param(
            "request_timeout = 0", "request_timeout must be a number > 0, got 0", id="zero"
        ),
        pytest.param(
            "request_timeout = -1.5", "request_timeout must be a number > 0, got -1.5", id="neg"
        ),
        pytest.param("request_timeout = nan", "request_timeout must be a number > 0", id="nan"),
        pytest.param(
            "request_timeout = inf", "request_timeout must be a finite number > 0", id="inf"
        ),
        pytest.param(
            "[cache]\nbackoff_base_seconds = 100\nbackoff_cap_seconds = 10",
            "cache.backoff_cap_seconds must be >= backoff_base_seconds (100), got 10",
            id="cap-below-base",
        ),
        pytest.param(
            "[cache]\nbackoff_base_seconds = 30000",
            "cache.backoff_cap_seconds must be >= backoff_base_seconds (30000), got 21600",
            id="base-above-default-cap",
        ),
        pytest.param(
            'provider_preference = ["a", 2]',
            "provider_preference must be a list of strings, got ['a', 2]",
            id="list-with-a-number",
        ),
        pytest.param(
            'disabled_plugins = "x"',
            "disabled_plugins must be a list of strings, got 'x'",
            id="string-for-list",
        ),
        pytest.param(
            "[providers.groq]\nenabled = 1",
            "providers.groq.enabled must be true or false, got 1",
            id="number-for-bool",
        ),
        pytest.param(
            '[providers.groq]\nbase_url = "ftp://example.com"',
            "providers.groq.base_url must be an http(s) URL with a host, got 'ftp://example.com'",
            id="url-scheme",
        ),
        pytest.param(
            '[providers.groq]\nbase_url = "https://"',
            "providers.groq.base_url must be an http(s) URL with a host",
            id="url-without-host",
        ),
        # Issue 16, defect 7: httpx sends a URL's user and password as Basic auth,
        # replacing the configured key; neither they nor a key in the query are accepted.
        pytest.param(
            '[providers.groq]\nbase_url = "http://user:hunter2@127.0.0.1:9/v1"',
            "providers.groq.base_url must not hold a user or password",
            id="url-credentials",
        ),
        pytest.param(
            '[providers.groq]\nbase_url = "https://example.com/v1?api_key=hunter2"',
            "providers.groq.base_url must not hold a key in its query",
            id="url-key-in-query",
        ),
        pytest.param(
            '[providers.groq]\nbase_url = "http://[::1/v1"',
            "providers.groq.base_url is a malformed URL",
            id="url-bad-ipv6",
        ),
        pytest.param(
            '[providers.groq]\nbase_url = "http://127.0.0.1:99999/v1"',
            "providers.groq.base_url is a malformed URL",
            id="url-port-out-of-range",
        ),
        pytest.param(
            '[providers.groq]\napi_key_env = "MY-KEY"',
            "providers.groq.api_key_env must be the NAME of the environment variable",
            id="env-name",
        ),
        pytest.param(
            "providers.groq = 5", "providers.groq must be a table, got 5", id="provider-not-table"
        ),
        pytest.param("providers = 5", "providers must be a table, got 5", id="providers-not-table"),
        pytest.param("cache = []", "cache must be a table, got []", id="cache-not-table"),
        pytest.param("home = 3", "home must be a non-empty string, got 3", id="home-type"),
        pytest.param(
            '[providers."my.llm"]\ntimeout = 0',
            'providers."my.llm".timeout must be a number > 0',
            id="quoted-provider-name",
        ),
    ],
)
def test_each_kind_of_error_names_the_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    error = load_error(tmp_path, text)

    assert str(error).startswith(f"{tmp_path / 'neoclone.toml'}: ")
    assert expected in str(error)
    assert "hunter2" not in str(error)  # a credential in a value is never echoed


def test_long_bad_values_are_truncated(tmp_path: Path) -> None:
    error = load_error(tmp_path, f'request_timeout = "{"x" * 200}"')

    assert "x" * 30 in str(error)
    assert "x" * 60 not in str(error)
    assert str(error).endswith("...")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        pytest.param(
            f'[providers.openrouter]\napi_key = "{FAKE_KEY}"', "providers.openrouter.api_key"
        ),
        pytest.param(f'token = "{FAKE_KEY}"', "token"),
        pytest.param(f'[cache]\nsecret = "{FAKE_KEY}"', "cache.secret"),
        pytest.param(f'[providers.x]\npassword = "{FAKE_KEY}"', "providers.x.password"),
        pytest.param(f'[providers.x]\nkey = "{FAKE_KEY}"', "providers.x.key"),
        pytest.param(f'[providers.x]\nOPENROUTER_API_KEY = "{FAKE_KEY}"', "OPENROUTER_API_KEY"),
        pytest.param(f'[[extra]]\ntoken = "{FAKE_KEY}"', "extra[0].token"),
    ],
)
def test_planted_key_is_rejected_without_echoing_it(tmp_path: Path, text: str, path: str) -> None:
    error = load_error(tmp_path, text)

    assert "neoclone.toml" in str(error)
    assert path in str(error)
    assert "api_key_env" in str(error)
    assert "environment variable" in str(error)
    assert FAKE_KEY not in str(error)
    assert FAKE_KEY not in repr(error)
    assert FAKE_KEY not in "".join(traceback.format_exception(error))


def test_planted_key_message_points_at_its_provider_section(tmp_path: Path) -> None:
    error = load_error(tmp_path, f'[providers.openrouter]\napi_key = "{FAKE_KEY}"')

    assert 'api_key_env = "NAME" in [providers.openrouter]' in str(error)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f'[providers.groq]\napi_key_env = "{FAKE_KEY}"', id="key-as-env-name"),
        pytest.param(f'[providers.groq]\nbase_url = "{FAKE_KEY}"', id="key-as-url"),
        pytest.param(f'provider_preference = "{FAKE_KEY}"', id="key-as-list"),
        pytest.param(f'"{FAKE_KEY}" = 1', id="key-as-key-name"),
    ],
)
def test_key_pasted_into_another_field_is_not_echoed(tmp_path: Path, text: str) -> None:
    error = load_error(tmp_path, text)

    assert "neoclone.toml" in str(error)
    assert FAKE_KEY not in str(error)
    assert FAKE_KEY not in repr(error)


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, "request_timeout = 1\n\nhome = = 2\n")

    assert "neoclone.toml" in str(error)
    assert "invalid TOML" in str(error)
    assert "line 3" in str(error)


def test_toml_syntax_error_does_not_chain_the_document(tmp_path: Path) -> None:
    error = load_error(tmp_path, f'api_key = "{FAKE_KEY}"\nbroken =\n')

    assert error.__cause__ is None
    assert error.__context__ is None
    assert FAKE_KEY not in "".join(traceback.format_exception(error))


def test_directory_instead_of_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "neoclone.toml").mkdir()

    with pytest.raises(ConfigError, match=r"neoclone\.toml: cannot read the config file"):
        load_settings(env={}, cwd=tmp_path)


def test_file_that_is_not_utf8_is_an_error_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_bytes(b"request_timeout = 1\nhome = '\xff\xfe'\n")

    with pytest.raises(ConfigError, match=r"neoclone\.toml: .*not valid UTF-8 \(line 2\)"):
        load_settings(config, env={}, cwd=tmp_path)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)

    with pytest.raises(AttributeError):
        settings.request_timeout = 1.0  # type: ignore[misc]


def test_a_providers_options_table_is_passed_through_untouched(tmp_path: Path) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text(
        '[providers.local.options]\nmodels = ["~/models/a.gguf"]\nthreads = 2\n', encoding="utf-8"
    )
    settings = load_settings(config, env={}, cwd=tmp_path)
    assert settings.provider("local").options == {"models": ["~/models/a.gguf"], "threads": 2}
    assert settings.provider("other").options == {}


def test_a_key_inside_provider_options_is_still_refused(tmp_path: Path) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text(
        '[providers.x.options]\napi_key = "sk-or-v1-abcdefabcdef0123"\n', encoding="utf-8"
    )
    with pytest.raises(
        ConfigError, match=r"providers\.x\.options\.api_key is not allowed"
    ) as caught:
        load_settings(config, env={}, cwd=tmp_path)
    assert "abcdef" not in str(caught.value)


def test_a_provider_table_no_installed_provider_has_is_an_error_with_a_close_match(
    tmp_path: Path,
) -> None:
    """Issue 16: `[providers.openroutr]` was ignored in silence."""
    from neoclone_core import Neoclone, build_plugins
    from neoclone_core.testing import ProvidersPlugin
    from tests.support import FakeProvider

    config = tmp_path / "neoclone.toml"
    config.write_text("[providers.openroutr]\ntimeout = 5\n")
    settings = load_settings(config, env={"NEOCLONE_HOME": str(tmp_path / "home")})
    plugins = build_plugins(
        entry_points=False, extra=[("p", ProvidersPlugin(FakeProvider("openrouter")))]
    )

    with pytest.raises(ConfigError, match=r"providers\.openroutr: .*did you mean 'openrouter'"):
        Neoclone(settings, plugins=plugins, env={})
