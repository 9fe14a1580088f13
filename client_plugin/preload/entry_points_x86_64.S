/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The shim's exported libnfs symbols: see entry_points.h. x86-64 System V:
 * the resolver saves the six argument registers and %rax (the vector-
 * register count of a variadic call) around its C call; no wrapped libnfs
 * function takes floating-point arguments. */
#include "entry_points.h"

	.hidden	localio_preload_resolve

	.pushsection .data.rel.local,"aw",@progbits
	.p2align 3
	.globl	localio_preload_slots
	.hidden	localio_preload_slots
	.type	localio_preload_slots, @object
	.size	localio_preload_slots, 8 * LOCALIO_PRELOAD_ENTRY_COUNT
localio_preload_slots:
	.popsection

	.macro	ENTRY_POINT name, index
	.pushsection .data.rel.local,"aw",@progbits
	.if	(. - localio_preload_slots) != 8 * \index
	.error	"entry_points.h: \name is not in slot order"
	.endif
	.quad	.Lresolve_\name
	.popsection

	.text
	.globl	\name
	.type	\name, @function
	.p2align 4
\name:
	.cfi_startproc
	jmp	*localio_preload_slots + 8 * \index(%rip)
	.cfi_endproc
	.size	\name, . - \name

	.p2align 4
.Lresolve_\name:
	.cfi_startproc
	/* entry: %rsp = 8 mod 16; seven pushes realign it for the call */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%rax
	.cfi_adjust_cfa_offset 56
	call	localio_preload_resolve	/* hidden: a direct call */
	popq	%rax
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	.cfi_adjust_cfa_offset -56
	jmp	*localio_preload_slots + 8 * \index(%rip)
	.cfi_endproc
	.endm

#define LOCALIO_ENTRY_POINT(index, name) ENTRY_POINT name, index;
LOCALIO_PRELOAD_ENTRY_POINTS(LOCALIO_ENTRY_POINT)

	.section .note.GNU-stack,"",@progbits
