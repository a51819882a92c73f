/**
 * Rules as Laravel writes them (`'required|email'` or `['required', 'max:255']`), and the type of the
 * data `validate()` returns, read from the rule strings: `'required|integer'` gives `number`,
 * `'nullable|string'` gives `string | null | undefined`.
 */
export type FieldRules = string | readonly string[]
export type RuleSet = Record<string, FieldRules>

/** Custom messages by `field.rule` or by `rule`, with Laravel's `:attribute`, `:min`, `:max` placeholders. */
export type CustomMessages = Record<string, string>

type RuleName<S extends string> = S extends `${infer Name}:${string}` ? Name : S
type SplitRules<S extends string> = S extends `${infer Head}|${infer Tail}` ? RuleName<Head> | SplitRules<Tail> : RuleName<S>
type NamesOf<R> = R extends string ? SplitRules<R> : R extends readonly (infer E)[] ? (E extends string ? RuleName<E> : never) : never

type BaseType<N> = [N & ('integer' | 'numeric')] extends [never]
  ? [N & 'boolean'] extends [never]
    ? [N & 'array'] extends [never]
      ? [N & ('string' | 'email')] extends [never]
        ? unknown
        : string
      : unknown[] | Record<string, unknown>
    : boolean
  : number

// Rules only known as `string` at compile time (built at runtime) say nothing about the type.
type FieldType<N> = string extends N ? unknown : BaseType<N> | ('nullable' extends N ? null : never)

type RequiredKeys<R extends RuleSet> = { [K in keyof R]: 'required' extends NamesOf<R[K]> ? K : never }[keyof R]
type OptionalKeys<R extends RuleSet> = Exclude<keyof R, RequiredKeys<R>>

type Flatten<T> = { [K in keyof T]: T[K] }

/** The validated data: only the fields that have rules, typed from those rules. */
export type Validated<R extends RuleSet> = Flatten<
  { [K in RequiredKeys<R>]: FieldType<NamesOf<R[K]>> } & { [K in OptionalKeys<R>]?: FieldType<NamesOf<R[K]>> }
>
