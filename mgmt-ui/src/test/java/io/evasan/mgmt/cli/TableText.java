package io.evasan.mgmt.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reads a table sanctl printed: the block starting at the line whose first column is {@code firstHeader},
 * up to a blank line. Cells are separated by two or more spaces (no printed cell holds two spaces).
 */
final class TableText {
    final String[] headers;
    final int[] headerStart;
    final int[] headerEnd;
    final List<String> lines = new ArrayList<>();

    TableText(String output, String firstHeader) {
        String[] all = output.split("\n", -1);
        int h = -1;
        for (int i = 0; i < all.length; i++) {
            if (all[i].startsWith(firstHeader + "  ") || all[i].trim().startsWith(firstHeader + "  ")) {
                h = i;
                break;
            }
        }
        if (h < 0) {
            fail("no table with first header " + firstHeader + " in:\n" + output);
        }
        String header = all[h];
        headers = header.trim().split("\\s{2,}");
        headerStart = new int[headers.length];
        headerEnd = new int[headers.length];
        int from = 0;
        for (int i = 0; i < headers.length; i++) {
            headerStart[i] = header.indexOf(headers[i], from);
            headerEnd[i] = headerStart[i] + headers[i].length();
            from = headerEnd[i];
        }
        for (int i = h + 1; i < all.length && !all[i].isBlank(); i++) {
            lines.add(all[i]);
        }
    }

    /** Every row: header → cell; also checks each cell starts under its header (left) or ends under it (right). */
    List<Map<String, String>> rows() {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines) {
            String[] cells = line.trim().split("\\s{2,}");
            assertEquals(headers.length, cells.length, "cells of line '" + line + "' under " + String.join("|", headers));
            Map<String, String> m = new LinkedHashMap<>();
            int from = 0;
            for (int i = 0; i < cells.length; i++) {
                int start = line.indexOf(cells[i], from);
                int end = start + cells[i].length();
                from = end;
                boolean aligned = start == headerStart[i] || end == headerEnd[i];
                assertTrue(aligned, "column " + headers[i] + " misaligned in line '" + line + "'");
                m.put(headers[i], cells[i]);
            }
            rows.add(m);
        }
        return rows;
    }

    /** The row whose column {@code key} is {@code value}. */
    Map<String, String> row(String key, String value) {
        for (Map<String, String> r : rows()) {
            if (value.equals(r.get(key))) {
                return r;
            }
        }
        fail("no row with " + key + "=" + value + " in:\n" + String.join("\n", lines));
        return null;
    }
}
