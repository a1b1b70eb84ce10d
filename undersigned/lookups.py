"""`AnyOf(F("field"), values)`: `field IN (…)`, but on PostgreSQL `field = ANY(%s)` with the values as one array.

Django's `__in` writes one placeholder per value, and psycopg (client-side binding, Django's default) parses the
statement for them and quotes each value on its own: for a chunk's 500-1,000 values, CPU on every query. One
array parameter is one placeholder, and one statement text whatever the number of values. Other databases (the
embedded SQLite of `make run`) get `IN (…)`, the same rows. A lookup used as an expression, in `filter()` or `Q()`.
"""

from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _, values = self.process_rhs(compiler, connection)  # prepared as `IN` prepares them; EmptyResultSet if none
        return f"{lhs} = ANY(%s)", (*lhs_params, list(values))
