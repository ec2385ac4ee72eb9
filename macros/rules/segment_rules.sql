{#-
    Rule segments: declarative rules compiled to SQL (model rule_segment_members).

    A rule (see models/marts/segments/rule_segment_members.yml for the shipped ones):

        - name: vip                        # required, snake_case, unique
          description: Top spenders ...    # used in the reason text and the export manifest
          exclusive_group: lifecycle       # optional: one segment per person within the group
          priority: 1                      # optional (default 100): lower wins within the group
          enabled: true                    # optional
          conditions:                      # required, non-empty; the list is and-ed
            - {column: total_revenue, op: '>=', value: p90}
            - or:                          # groups nest to any depth: and / or / not
                - {column: order_count, op: '>=', value: p75}
                - {column: rfm_segment, op: in, value: [champions, loyal]}

    Operators: = != > >= < <= (one value; quote them in YAML, or write eq ne gt gte lt lte),
    between ([low, high]), in / not_in (a non-empty list), is_null / is_not_null (no value).
    A value is a number, a boolean, a string, or a percentile of the column over the current
    population: 'p90', 'p2.5' (0..100, numeric columns only; computed once per build with
    percentile_cont_agg(), macros/cross_db). When ties put the percentile on the column's minimum
    (`>= p75` with most people at 0) or maximum (`<= p25`), the comparison excludes that extreme
    value, so a percentile condition never holds for everyone by a tie. A comparison with a null
    column value is false (so `not` of it is true).

    A rule that uses a column with no information in this data (its values are all null or more
    than 95 % null, or one value holds at least 99 % of the people with a value: the definition of
    dq_feature_coverage, macros/quality/feature_coverage.sql) is inactive: it matches nobody, and
    rule_segment_members_status and segment_definitions say which column and why. So a percentile
    threshold over a constant column (sessions_90d = 0 for everyone without web events, where
    `>= p75` would hold for everyone) never puts the whole population in a segment.

    Every problem (unknown column or operator, missing name, empty condition list, between
    without two values, a string that is not a number on a numeric column, ...) stops the build
    with exceptions.raise_compiler_error naming the rule and where in it the problem is.
-#}


{#- The rules to compile: var `segment_rules` when set (what-if runs, tests), else the
    `segment_rules` list in the config meta of rule_segment_members. Read through the graph so it
    also works when a unit test renders the model. -#}
{% macro get_segment_rules(model_name='rule_segment_members') %}
    {% set override = var('segment_rules', none) %}
    {% if override is not none %}
        {{ return(override) }}
    {% endif %}
    {% if not execute %}
        {{ return([]) }}
    {% endif %}
    {% set node = (graph.get('nodes') or {}).get('model.' ~ project_name ~ '.' ~ model_name) %}
    {% if node is none %}
        {{ return([]) }}
    {% endif %}
    {% set meta = node.config.meta or {} %}
    {{ return(meta.get('segment_rules') or node.meta.get('segment_rules') or []) }}
{% endmacro %}


{#- The columns rules may use: {name: {'data_type', 'kind'}} of the built relation (in a unit
    test, where refs are CTEs, the relation of that name in the target schema); when nothing is
    built yet, the columns documented in the model's YAML. kind is integer, number, boolean,
    text, temporal or unknown. -#}
{% macro segment_rule_columns(relation, model_name) %}
    {% set found = {} %}
    {% if not execute %}
        {{ return(found) }}
    {% endif %}
    {% for col in adapter.get_columns_in_relation(relation) %}
        {% do found.update({col.name | lower: {'data_type': col.dtype, 'kind': _segment_rule_column_kind(col.dtype)}}) %}
    {% endfor %}
    {% if found | length == 0 %}
        {#- a unit test renders refs as CTEs and has no graph: read the model's built relation
            (Spark targets have no database: target.get gives none there) -#}
        {% set built = api.Relation.create(database=target.get('database'), schema=target.schema, identifier=model_name) %}
        {% for col in adapter.get_columns_in_relation(built) %}
            {% do found.update({col.name | lower: {'data_type': col.dtype, 'kind': _segment_rule_column_kind(col.dtype)}}) %}
        {% endfor %}
    {% endif %}
    {% if found | length == 0 %}
        {#- nothing built yet: the columns documented in the model's YAML -#}
        {% set node = (graph.get('nodes') or {}).get('model.' ~ project_name ~ '.' ~ model_name) %}
        {% for name, col in (node.columns if node else {}).items() %}
            {% do found.update({name | lower: {'data_type': col.data_type, 'kind': _segment_rule_column_kind(col.data_type)}}) %}
        {% endfor %}
    {% endif %}
    {{ return(found) }}
{% endmacro %}


{% macro _segment_rule_column_kind(data_type) %}
    {% set t = (data_type or '') | lower | trim %}
    {% if t == '' %}{{ return('unknown') }}{% endif %}
    {% for prefix in ['tinyint', 'smallint', 'integer', 'bigint', 'hugeint', 'int', 'ubigint', 'uinteger'] %}
        {% if t.startswith(prefix) %}{{ return('integer') }}{% endif %}
    {% endfor %}
    {% for prefix in ['decimal', 'numeric', 'double', 'float', 'real', 'number'] %}
        {% if t.startswith(prefix) %}{{ return('number') }}{% endif %}
    {% endfor %}
    {% if t.startswith('bool') %}{{ return('boolean') }}{% endif %}
    {% if t.startswith('date') or t.startswith('timestamp') or t.startswith('time') %}{{ return('temporal') }}{% endif %}
    {% if t.startswith('varchar') or t.startswith('text') or t.startswith('string') or t.startswith('char') %}{{ return('text') }}{% endif %}
    {{ return('unknown') }}
{% endmacro %}


{% macro segment_rule_operators() %}
    {{ return({
        '=': 'binary', '!=': 'binary', '>': 'binary', '>=': 'binary', '<': 'binary', '<=': 'binary',
        'between': 'range', 'in': 'list', 'not_in': 'list', 'is_null': 'unary', 'is_not_null': 'unary'
    }) }}
{% endmacro %}


{#-
    compile_segment_rules(rules, columns) -> {
        'rules': [{name, description, priority, exclusive_group, group_key, order, sql, reason_sql, definition,
                   columns (the columns the conditions use, sorted)}],
        'thresholds': [{alias, column, fraction, label}]
    }
    sql is the boolean condition over the CTEs `population` and `thresholds`; reason_sql a text
    expression saying which conditions held, with the person's values and the thresholds.
-#}
{% macro compile_segment_rules(rules, columns) %}
    {% set out = {'rules': [], 'thresholds': []} %}
    {% set thresholds = {} %}
    {% if rules is string or rules is mapping or rules is not iterable %}
        {% do exceptions.raise_compiler_error(
            "segment rules must be a list of rules, got: " ~ rules) %}
    {% endif %}
    {% set allowed = ['name', 'description', 'conditions', 'priority', 'exclusive_group', 'enabled'] %}
    {% set seen = [] %}
    {% for rule in rules %}
        {% set where = 'segment rule #' ~ loop.index %}
        {% if rule is not mapping %}
            {% do exceptions.raise_compiler_error(where ~ " is not a mapping (name, description, conditions, ...): " ~ rule) %}
        {% endif %}
        {% if not rule.get('name') or rule.get('name') is not string %}
            {% do exceptions.raise_compiler_error(where ~ " has no name: every rule needs `name:` (got keys "
                ~ (rule.keys() | list | join(', ')) ~ ")") %}
        {% endif %}
        {% set name = rule['name'] %}
        {% set label = "segment rule '" ~ name ~ "'" %}
        {% if not modules.re.match('^[a-z][a-z0-9_]*$', name) %}
            {% do exceptions.raise_compiler_error(label ~ ": the name must be snake_case (a-z, 0-9, _), starting with a letter") %}
        {% endif %}
        {% if name in seen %}
            {% do exceptions.raise_compiler_error(label ~ ": the name is used by more than one rule") %}
        {% endif %}
        {% do seen.append(name) %}
        {% for key in rule.keys() if key not in allowed %}
            {% do exceptions.raise_compiler_error(label ~ ": unknown key '" ~ key ~ "' (allowed: " ~ allowed | join(', ') ~ ")") %}
        {% endfor %}
        {% set conditions = rule.get('conditions') %}
        {% if conditions is none or conditions is string or conditions is mapping or conditions is not iterable or conditions | length == 0 %}
            {% do exceptions.raise_compiler_error(label ~ ": `conditions` must be a non-empty list of conditions") %}
        {% endif %}
        {% if rule.get('description') is not none and rule.get('description') is not string %}
            {% do exceptions.raise_compiler_error(label ~ ": `description` must be text, got " ~ rule.get('description')) %}
        {% endif %}
        {% set priority = rule.get('priority', 100) %}
        {% if priority is not number or priority is sameas true or priority is sameas false or priority != (priority | int) %}
            {% do exceptions.raise_compiler_error(label ~ ": `priority` must be a whole number, got " ~ priority) %}
        {% endif %}
        {% set group = rule.get('exclusive_group') %}
        {% if group is not none and (group is not string or not modules.re.match('^[a-z][a-z0-9_]*$', group)) %}
            {% do exceptions.raise_compiler_error(label ~ ": `exclusive_group` must be a snake_case name, got " ~ group) %}
        {% endif %}
        {% set enabled = rule.get('enabled', true) %}
        {% if enabled is not sameas true and enabled is not sameas false %}
            {% do exceptions.raise_compiler_error(label ~ ": `enabled` must be true or false, got " ~ enabled) %}
        {% endif %}
        {% set compiled = _compile_segment_group('and', conditions, columns, label, 'conditions', thresholds) %}
        {% if enabled %}
            {% do out['rules'].append({
                'name': name,
                'description': rule.get('description') or name,
                'priority': priority | int,
                'exclusive_group': group,
                'group_key': ('group:' ~ group) if group else ('rule:' ~ name),
                'order': loop.index,
                'sql': compiled['sql'],
                'reason_sql': compiled['reason'],
                'definition': compiled['text'],
                'columns': _segment_rule_used_columns(conditions) | unique | sort | list,
            }) %}
        {% endif %}
    {% endfor %}
    {% for alias in thresholds.keys() | sort %}
        {% do out['thresholds'].append(thresholds[alias]) %}
    {% endfor %}
    {{ return(out) }}
{% endmacro %}


{#- The columns (lower case) of every leaf under a list of conditions (called after the rule
    compiled, so the structure is known to be valid). -#}
{% macro _segment_rule_used_columns(conditions) %}
    {% set found = [] %}
    {% for condition in conditions %}
        {% if 'column' in condition %}
            {% do found.append(condition['column'] | lower) %}
        {% else %}
            {% for key in ['and', 'or', 'not'] if key in condition %}
                {% set members = condition[key] %}
                {% set members = members if (members is iterable and members is not string and members is not mapping) else [members] %}
                {% do found.extend(_segment_rule_used_columns(members)) %}
            {% endfor %}
        {% endif %}
    {% endfor %}
    {{ return(found) }}
{% endmacro %}


{#- The columns used by the enabled rules of a compile_segment_rules result, sorted. -#}
{% macro segment_rules_used_columns(compiled) %}
    {% set found = [] %}
    {% for rule in compiled['rules'] %}{% do found.extend(rule['columns']) %}{% endfor %}
    {{ return(found | unique | sort | list) }}
{% endmacro %}


{#- one condition: a leaf {column, op, value} or a group {and: [...]}, {or: [...]}, {not: ...} -#}
{% macro _compile_segment_condition(condition, columns, label, path, thresholds) %}
    {% if condition is not mapping %}
        {% do exceptions.raise_compiler_error(label ~ ": " ~ path ~ " must be a condition {column, op, value} or a group {and|or|not: ...}, got: " ~ condition) %}
    {% endif %}
    {% set group_keys = [] %}
    {% for key in ['and', 'or', 'not'] if key in condition %}{% do group_keys.append(key) %}{% endfor %}
    {% if group_keys | length > 0 %}
        {% if condition | length != 1 %}
            {% do exceptions.raise_compiler_error(label ~ ": " ~ path ~ " mixes a group (" ~ group_keys | join(', ')
                ~ ") with other keys; a group has exactly one key: and, or or not") %}
        {% endif %}
        {% set key = group_keys[0] %}
        {% set members = condition[key] %}
        {% if key == 'not' %}
            {% set inner = _compile_segment_group('and', members if (members is iterable and members is not string and members is not mapping) else [members],
                columns, label, path ~ '.not', thresholds) %}
            {% set sql = '(not ' ~ inner['sql'] ~ ')' %}
            {% set text = 'not ' ~ inner['text'] %}
            {{ return({'sql': sql, 'text': text, 'reason': "case when " ~ sql ~ " then " ~ sql_string(text) ~ " end"}) }}
        {% endif %}
        {{ return(_compile_segment_group(key, members, columns, label, path ~ '.' ~ key, thresholds)) }}
    {% endif %}
    {{ return(_compile_segment_leaf(condition, columns, label, path, thresholds)) }}
{% endmacro %}


{% macro _compile_segment_group(kind, members, columns, label, path, thresholds) %}
    {% if members is none or members is string or members is mapping or members is not iterable or members | length == 0 %}
        {% do exceptions.raise_compiler_error(label ~ ": " ~ path ~ " must be a non-empty list of conditions") %}
    {% endif %}
    {% set sqls = [] %}
    {% set texts = [] %}
    {% set reasons = [] %}
    {% for member in members %}
        {% set c = _compile_segment_condition(member, columns, label, path ~ '[' ~ loop.index0 ~ ']', thresholds) %}
        {% do sqls.append(c['sql']) %}
        {% do texts.append(c['text']) %}
        {% do reasons.append(c['reason']) %}
    {% endfor %}
    {% if sqls | length == 1 %}
        {{ return({'sql': sqls[0], 'text': texts[0], 'reason': reasons[0]}) }}
    {% endif %}
    {% set sql = '(' ~ sqls | join(' ' ~ kind ~ ' ') ~ ')' %}
    {% set text = '(' ~ texts | join(' ' ~ kind ~ ' ') ~ ')' %}
    {% if kind == 'and' %}
        {% set reason = "case when " ~ sql ~ " then " ~ join_non_null(reasons, '; ') ~ " end" %}
    {% else %}
        {% set reason = "case when " ~ sql ~ " then " ~ dbt.concat(["'('", join_non_null(reasons, ' or '), "')'"]) ~ " end" %}
    {% endif %}
    {{ return({'sql': sql, 'text': text, 'reason': reason}) }}
{% endmacro %}


{% macro _compile_segment_leaf(condition, columns, label, path, thresholds) %}
    {% set operators = segment_rule_operators() %}
    {% for key in condition.keys() if key not in ['column', 'op', 'value'] %}
        {% do exceptions.raise_compiler_error(label ~ ": " ~ path ~ " has an unknown key '" ~ key
            ~ "' (a condition has column, op and value; a group has and, or or not)") %}
    {% endfor %}
    {% set column = condition.get('column') %}
    {% if column is none or column is not string or column == '' %}
        {% do exceptions.raise_compiler_error(label ~ ": " ~ path ~ " has no `column`") %}
    {% endif %}
    {% set column = column | lower %}
    {% if column not in columns %}
        {% do exceptions.raise_compiler_error(label ~ ": unknown column '" ~ column ~ "' in " ~ path
            ~ " (available: " ~ (columns.keys() | list | sort | join(', ')) ~ ")") %}
    {% endif %}
    {% set kind = columns[column]['kind'] %}
    {% set op = condition.get('op') %}
    {% if op is none %}
        {% do exceptions.raise_compiler_error(label ~ ": " ~ path ~ " (column '" ~ column ~ "') has no `op`") %}
    {% endif %}
    {% set op = op | string | lower | trim %}
    {% set aliases = {'==': '=', 'eq': '=', '<>': '!=', 'ne': '!=', 'gt': '>', 'gte': '>=', 'lt': '<', 'lte': '<=',
        'not in': 'not_in', 'is null': 'is_null', 'is not null': 'is_not_null'} %}
    {% set op = aliases.get(op, op) %}
    {% if op not in operators %}
        {% do exceptions.raise_compiler_error(label ~ ": unknown operator '" ~ op ~ "' in " ~ path
            ~ " (use one of: " ~ (operators.keys() | list | join(', ')) ~ ")") %}
    {% endif %}
    {% set arity = operators[op] %}
    {% set has_value = 'value' in condition %}
    {% set value = condition.get('value') %}
    {% set col_sql = 'population.' ~ adapter.quote(column) %}
    {% set where = label ~ ": " ~ path ~ " (" ~ column ~ " " ~ op ~ ")" %}

    {% if arity == 'unary' %}
        {% if has_value and value is not none %}
            {% do exceptions.raise_compiler_error(where ~ " takes no value") %}
        {% endif %}
        {% set sql = col_sql ~ (' is null' if op == 'is_null' else ' is not null') %}
        {% set text = column ~ (' is null' if op == 'is_null' else ' is not null') %}
        {{ return({'sql': '(' ~ sql ~ ')', 'text': text, 'reason': "case when " ~ sql ~ " then '" ~ text ~ "' end"}) }}
    {% endif %}

    {% if not has_value or value is none %}
        {% do exceptions.raise_compiler_error(where ~ " needs a `value`"
            ~ (" (use is_null / is_not_null to test for null)" if arity == 'binary' else "")) %}
    {% endif %}
    {% set is_list = value is iterable and value is not string and value is not mapping %}

    {% if arity == 'binary' %}
        {% if is_list or value is mapping %}
            {% do exceptions.raise_compiler_error(where ~ " takes a single value, got " ~ value ~ " (use between or in for several)") %}
        {% endif %}
        {% set v = _segment_rule_value(value, column, kind, where, thresholds, true) %}
        {% set sql = col_sql ~ ' ' ~ op ~ ' ' ~ v['sql'] %}
        {% if v.get('percentile') is not none and op in ['>=', '<='] and 0 < v['percentile'] < 100 %}
            {#- ties at the extreme: when p75 equals the column's minimum (most people at 0),
                `>= p75` would hold for everyone; it then means "above the minimum" -#}
            {% set bound = _segment_rule_value('p0' if op == '>=' else 'p100', column, kind, where, thresholds, true) %}
            {% set strict = ' > ' if op == '>=' else ' < ' %}
            {% set sql = '(' ~ sql ~ ' and (' ~ col_sql ~ strict ~ v['sql'] ~ ' or ' ~ v['sql'] ~ strict ~ bound['sql'] ~ '))' %}
        {% endif %}
        {% set text = column ~ ' ' ~ op ~ ' ' ~ v['label'] %}
        {% set reason_parts = ["'" ~ column ~ " '", _segment_rule_value_text(col_sql, kind), "' " ~ op ~ " '", v['text']] %}
    {% elif arity == 'range' %}
        {% if not is_list or value | length != 2 %}
            {% do exceptions.raise_compiler_error(where ~ ": between needs two values [low, high], got " ~ value) %}
        {% endif %}
        {% set lo = _segment_rule_value(value[0], column, kind, where, thresholds, true) %}
        {% set hi = _segment_rule_value(value[1], column, kind, where, thresholds, true) %}
        {% if value[0] is number and value[1] is number and value[0] > value[1] %}
            {% do exceptions.raise_compiler_error(where ~ ": between needs low <= high, got " ~ value) %}
        {% endif %}
        {% set sql = col_sql ~ ' between ' ~ lo['sql'] ~ ' and ' ~ hi['sql'] %}
        {% set text = column ~ ' between ' ~ lo['label'] ~ ' and ' ~ hi['label'] %}
        {% set reason_parts = ["'" ~ column ~ " '", _segment_rule_value_text(col_sql, kind), "' between '", lo['text'], "' and '", hi['text']] %}
    {% else %}
        {% if not is_list or value | length == 0 %}
            {% do exceptions.raise_compiler_error(where ~ ": " ~ op ~ " needs a non-empty list of values, got " ~ value) %}
        {% endif %}
        {% set items = [] %}
        {% set labels = [] %}
        {% for item in value %}
            {% set v = _segment_rule_value(item, column, kind, where, thresholds, false) %}
            {% do items.append(v['sql']) %}
            {% do labels.append(v['label']) %}
        {% endfor %}
        {% set sql = col_sql ~ (' in (' if op == 'in' else ' not in (') ~ items | join(', ') ~ ')' %}
        {% set text = column ~ (' in (' if op == 'in' else ' not in (') ~ labels | join(', ') ~ ')' %}
        {% set reason_parts = ["'" ~ column ~ " '", _segment_rule_value_text(col_sql, kind),
            sql_string((' in (' if op == 'in' else ' not in (') ~ labels | join(', ') ~ ')')] %}
    {% endif %}
    {% set guarded = 'coalesce(' ~ sql ~ ', false)' %}
    {{ return({'sql': guarded, 'text': text, 'reason': "case when " ~ guarded ~ " then " ~ dbt.concat(reason_parts) ~ " end"}) }}
{% endmacro %}


{#- One value of a condition -> {sql, label (compile-time text), text (SQL text expression)}. -#}
{% macro _segment_rule_value(value, column, kind, where, thresholds, allow_percentile) %}
    {% set numeric = kind in ['integer', 'number'] %}
    {% if value is sameas true or value is sameas false %}
        {% set lit = 'true' if value else 'false' %}
        {{ return({'sql': lit, 'label': lit, 'text': "'" ~ lit ~ "'"}) }}
    {% elif value is number %}
        {{ return({'sql': value | string, 'label': value | string, 'text': "'" ~ value ~ "'"}) }}
    {% elif value is string %}
        {% set pct = modules.re.match('^\s*[pP](\d+(\.\d+)?)\s*$', value) %}
        {% if pct %}
            {% set p = pct.group(1) | float %}
            {% if not allow_percentile %}
                {% do exceptions.raise_compiler_error(where ~ ": a percentile ('" ~ value ~ "') is not allowed in a list of values") %}
            {% endif %}
            {% if p < 0 or p > 100 %}
                {% do exceptions.raise_compiler_error(where ~ ": percentile '" ~ value ~ "' is outside p0..p100") %}
            {% endif %}
            {% if not numeric and kind != 'unknown' %}
                {% do exceptions.raise_compiler_error(where ~ ": percentile '" ~ value ~ "' needs a numeric column, but '"
                    ~ column ~ "' is " ~ kind) %}
            {% endif %}
            {% set tag = 'p' ~ (pct.group(1) | replace('.', '_')) %}
            {% set alias = 'threshold__' ~ column ~ '__' ~ tag %}
            {% do thresholds.update({alias: {'alias': alias, 'column': column, 'fraction': p / 100.0, 'label': 'p' ~ pct.group(1)}}) %}
            {% set text = dbt.concat(["'p" ~ pct.group(1) ~ " ('", "cast(round(cast(thresholds." ~ alias ~ " as " ~ type_double() ~ "), 2) as " ~ dbt.type_string() ~ ")", "')'"]) %}
            {{ return({'sql': 'thresholds.' ~ alias, 'label': 'p' ~ pct.group(1), 'text': text, 'percentile': p}) }}
        {% endif %}
        {% if numeric %}
            {% if not modules.re.match('^\s*-?\d+(\.\d+)?\s*$', value) %}
                {% do exceptions.raise_compiler_error(where ~ ": '" ~ value ~ "' is neither a number nor a percentile such as p90, but column '"
                    ~ column ~ "' is numeric") %}
            {% endif %}
            {{ return({'sql': value | trim, 'label': value | trim, 'text': "'" ~ value | trim ~ "'"}) }}
        {% endif %}
        {% set quoted = sql_string(value) %}
        {{ return({'sql': quoted, 'label': quoted, 'text': sql_string(quoted)}) }}
    {% endif %}
    {% do exceptions.raise_compiler_error(where ~ ": unsupported value " ~ value ~ " (use a number, a string, true/false or a percentile such as p90)") %}
{% endmacro %}


{#- The person's value of the column as text for the reason: numbers rounded to 2 decimals. -#}
{% macro _segment_rule_value_text(col_sql, kind) %}
    {% if kind == 'number' %}
        {{ return('cast(round(cast(' ~ col_sql ~ ' as ' ~ type_double() ~ '), 2) as ' ~ dbt.type_string() ~ ')') }}
    {% endif %}
    {{ return("coalesce(cast(" ~ col_sql ~ " as " ~ dbt.type_string() ~ "), 'null')") }}
{% endmacro %}
