# Users are django.contrib.auth users; roles are groups (see choices.Role).
