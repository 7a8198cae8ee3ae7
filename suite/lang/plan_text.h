/* SPDX-License-Identifier: MIT */
/*
 * plan_text: a plan written back as case-language text, and plan
 * equality. The text parses (parse_case()) to a plan equal to the one
 * written, positions aside, which is what the case-parser fuzz harness
 * checks for every input the parser accepts; it also shows a plan as the
 * parser understood it (durations in ms, bytes escaped, defaults spelt
 * out). Pure: no I/O, no globals.
 */
#ifndef SOCKSPEC_PLAN_TEXT_H
#define SOCKSPEC_PLAN_TEXT_H

#include "plan.h"
#include "strbuf.h"

/* Appends p as a case file to sb: one statement per line, blocks
 * indented by two spaces. Check sb for running out of memory with
 * strbuf_finish(). */
void plan_text_write(const struct plan *p, struct strbuf *sb);

/* 1 when a and b are the same plan: header, statements, data pieces and
 * every option, the line and column of statements excepted; else 0. */
int plan_text_equal(const struct plan *a, const struct plan *b);

#endif
