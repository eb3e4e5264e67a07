"""The settings record: values from the environment or a secret turned into their fields' types, secrets hidden."""

import pytest

from leadwire.runtime.settings import Secret, Settings


def test_values_from_the_environment_become_numbers_flags_and_secrets():
    settings = Settings.from_values({"META_GRAPH_TIMEOUT_S": "2.5", "FORM_LIMIT_PER_MINUTE": "0",
                                     "allow_local_receivers": "true", "LEADWIRE_API_KEYS": "key-1",
                                     "PATH": "/usr/bin"})
    assert settings.meta_graph_timeout_s == 2.5
    assert settings.form_limit_per_minute == 0
    assert settings.allow_local_receivers is True
    assert settings.leadwire_api_keys.get_secret_value() == "key-1"
    assert not hasattr(settings, "path")


@pytest.mark.parametrize(("name", "value", "said"), [("FORM_LIMIT_PER_MINUTE", "five", "give a number"),
                                                     ("META_GRAPH_TIMEOUT_S", "3s", "give a number"),
                                                     ("ALLOW_LOCAL_RECEIVERS", "maybe", "give true or false")])
def test_a_value_of_the_wrong_kind_names_its_variable(name, value, said):
    with pytest.raises(ValueError, match=f"{name}: {said}"):
        Settings.from_values({name: value})


def test_no_secret_shows_in_a_repr():
    settings = Settings(meta_app_secret="app-secret-value", unsubscribe_secret="unsubscribe-value")
    assert "app-secret-value" not in repr(settings) and "unsubscribe-value" not in repr(settings)
    assert isinstance(settings.meta_app_secret, Secret)
    assert settings.meta_app_secret == Secret("app-secret-value") != Secret("other")
    assert Secret("clé-secrète") == Secret("clé-secrète") != Secret("cle-secrete")  # any text, in constant time
