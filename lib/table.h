/*
 * table.h - plain text tables for the CLI views.
 *
 * Columns are as wide as their widest cell, measured in terminal columns, not
 * bytes: UTF-8 is decoded and wide characters (the ✅ and ❌ of the inventory
 * matrix, CJK) count 2, combining marks and variation selectors 0.  The width
 * table is built in, so the output does not depend on the locale.
 *
 *   NODE           TYPE       INFO
 *   x1000c0s0b0n0  Processor  AMD EPYC 7742 64-Core Processor
 *
 * Cells are filled left to right; a row ends when it has one cell per column.
 * No I/O: tide_table_render appends to a strbuf and the caller prints it.
 */
#ifndef TIDE_TABLE_H
#define TIDE_TABLE_H

#include <stddef.h>

#include "strbuf.h"

typedef enum { TIDE_ALIGN_LEFT, TIDE_ALIGN_RIGHT, TIDE_ALIGN_CENTER } tide_align;

typedef struct tide_table tide_table;

/* A table with ncols columns and these headings (copied). */
tide_table *tide_table_new(size_t ncols, const char *const *headers);
void tide_table_free(tide_table *t);
/* How a column's cells (not its heading) are aligned; LEFT by default. */
void tide_table_align(tide_table *t, size_t col, tide_align a);
/* Append the next cell (copied; NULL is an empty cell). */
void tide_table_cell(tide_table *t, const char *text);
void tide_table_cellf(tide_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Complete rows so far. */
size_t tide_table_rows(const tide_table *t);
/* Headings, then one line per row; columns two blanks apart, no trailing blanks.
 * A row left incomplete is padded with empty cells. */
void tide_table_render(const tide_table *t, strbuf *out);

/* Terminal columns taken by a UTF-8 string. */
size_t tide_display_width(const char *s);

#endif
