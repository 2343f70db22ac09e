"""A migration operation that moves a model's table from an earlier app into the app that now owns the model.

When an app is split (`findings` became `drafting` and `review`), the new app's first migration must work on both
kinds of database: a fresh one, where it creates the table, and an existing one, where the table already holds
patient data under the old app's name. `AdoptOrCreateModel` is a `CreateModel` whose database step renames the
legacy table (and the indexes whose names carried the old app label) instead of creating it, adds any column the
legacy table lacks, and moves the content type so admin history and permissions follow the model.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class AdoptOrCreateModel(migrations.CreateModel):
    """`CreateModel`, except that an existing `legacy_table` is renamed into place rather than created anew."""

    def __init__(self, *args: Any, legacy_app_label: str, legacy_table: str,
                 legacy_index_names: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.legacy_app_label = legacy_app_label
        self.legacy_table = legacy_table
        # {name the index has in the legacy table: name the model gives it now}
        self.legacy_index_names = legacy_index_names or {}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        name, args, kwargs = super().deconstruct()
        kwargs.update(legacy_app_label=self.legacy_app_label, legacy_table=self.legacy_table,
                      legacy_index_names=self.legacy_index_names)
        return name, args, kwargs

    def database_forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor,
                          from_state: ProjectState, to_state: ProjectState) -> None:
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            legacy_exists = self.legacy_table in connection.introspection.table_names(cursor)
        if not legacy_exists:
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.name)
        schema_editor.alter_db_table(model, self.legacy_table, model._meta.db_table)
        self._rename_indexes(model, schema_editor)
        self._add_missing_columns(model, schema_editor)
        self._move_content_type(schema_editor, app_label)

    def _rename_indexes(self, model: type[models.Model], schema_editor: BaseDatabaseSchemaEditor) -> None:
        wanted = {index.name: index for index in model._meta.indexes}
        for old_name, new_name in self.legacy_index_names.items():
            new_index = wanted[new_name]
            old_index = models.Index(fields=new_index.fields, name=old_name)
            schema_editor.rename_index(model, old_index, new_index)

    def _add_missing_columns(self, model: type[models.Model], schema_editor: BaseDatabaseSchemaEditor) -> None:
        # A database whose legacy app was not fully migrated still reaches the model's current shape.
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            present = {column.name for column in
                       connection.introspection.get_table_description(cursor, model._meta.db_table)}
        for field in model._meta.local_concrete_fields:
            if field.column not in present:
                schema_editor.add_field(model, field)

    def _move_content_type(self, schema_editor: BaseDatabaseSchemaEditor, app_label: str) -> None:
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            if "django_content_type" not in connection.introspection.table_names(cursor):
                return
            model_name = self.name.lower()
            # Both rows can exist only if the new label was used before this ran; then the new one is kept.
            cursor.execute("UPDATE django_content_type SET app_label = %s WHERE app_label = %s AND model = %s "
                           "AND NOT EXISTS (SELECT 1 FROM django_content_type AS taken WHERE taken.app_label = %s "
                           "AND taken.model = %s)", [app_label, self.legacy_app_label, model_name, app_label, model_name])

    def describe(self) -> str:
        return f"Create model {self.name}, or adopt its table {self.legacy_table}"
