package io.evasan.mgmt.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A text table: one header line, then rows, columns separated by two spaces and padded to the
 * widest cell. A header ending in {@code >} marks a right-aligned (numeric) column; the marker is
 * not printed. Invariant: every printed line of a table has its columns starting at the same offsets
 * (the last column is not padded, so lines carry no trailing blanks).
 */
public final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].endsWith(">");
            this.headers[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
        }
    }

    /** Adds a row; {@code null} cells print as "-". */
    public Table row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.length + " columns");
        }
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = cells[i] == null ? "-" : String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Prints the header and the rows; when there are no rows, {@code empty} instead (if not null). */
    public void print(PrintWriter out, String empty) {
        if (rows.isEmpty() && empty != null) {
            out.println(empty);
            return;
        }
        int[] w = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            w[i] = headers[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        line(out, headers, w);
        for (String[] r : rows) {
            line(out, r, w);
        }
    }

    private void line(PrintWriter out, String[] cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String c = cells[i];
            String pad = " ".repeat(w[i] - c.length());
            if (right[i]) {
                b.append(pad).append(c);
            } else {
                b.append(c);
                if (!last) {
                    b.append(pad);
                }
            }
            if (!last) {
                b.append("  ");
            }
        }
        out.println(b.toString().stripTrailing());
    }
}
