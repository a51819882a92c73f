/**
 * A small RFC 4180 reader: comma-separated fields, double quotes around fields that hold commas,
 * quotes ("") or line breaks. Enough for user imports; no dependency.
 */
export interface CsvRow {
  /** 1-based line of the row in the file (for error messages). */
  line: number
  fields: string[]
}

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  const endRow = () => {
    fields.push(field)
    if (fields.some((value) => value.trim() !== '')) rows.push({ line: rowLine, fields: fields.map((value) => value.trim()) })
    fields = []
    field = ''
    rowLine = line
  }
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (char === '"') quoted = false
      else {
        if (char === '\n') line++
        field += char
      }
    } else if (char === '"') quoted = true
    else if (char === ',') {
      fields.push(field)
      field = ''
    } else if (char === '\n') {
      line++
      endRow()
    } else if (char !== '\r') field += char
  }
  if (field !== '' || fields.length > 0) endRow()
  return rows
}
