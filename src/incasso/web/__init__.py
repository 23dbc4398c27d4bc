"""The web shell: base layout, navigation, home page, language switch, front-end assets."""
