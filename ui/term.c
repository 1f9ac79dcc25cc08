/* term.c - see term.h. The only file that includes curses. */
#include "term.h"

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

static SCREEN *screen;
static bool active;
static bool colors;
static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stop_sig;
static struct termios saved_tio;
static bool have_tio;
static char restore_seq[256]; /* rmcup, cnorm, sgr0: written by the emergency restore */
static size_t restore_len;
static bool atexit_done;

static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL};
#define NFATAL (sizeof(fatal_sigs) / sizeof(fatal_sigs[0]))
static struct sigaction old_fatal[NFATAL];
static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP (sizeof(stop_sigs) / sizeof(stop_sigs[0]))
static struct sigaction old_stop[NSTOP];

/* emergency_restore: async-signal-safe: the saved tty modes and the restore sequence. */
static void emergency_restore(void)
{
    if (!active)
        return;
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
    if (restore_len) {
        ssize_t w = write(STDOUT_FILENO, restore_seq, restore_len);
        (void)w;
    }
    active = false;
}

static void on_stop(int sig)
{
    if (stop_flag) {
        /* the second one: restore now and die of it */
        emergency_restore();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_sig = sig;
    stop_flag = 1;
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    emergency_restore();
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_sigs[i] == sig)
            sigaction(sig, &old_fatal[i], NULL);
    /* a real fault returns and faults again into the previous handler; a sent one is re-sent */
    if (si == NULL || si->si_code <= 0 || sig == SIGABRT)
        raise(sig);
}

static void add_cap(const char *name)
{
    char *s = tigetstr(name);
    if (!s || s == (char *)-1)
        return;
    size_t l = strlen(s);
    if (restore_len + l < sizeof(restore_seq)) {
        memcpy(restore_seq + restore_len, s, l);
        restore_len += l;
    }
}

static void at_exit(void)
{
    term_close();
}

enum {
    P_BAR = 1,
    P_TAB,
    P_KEY,
    P_HEAD,
    P_OK,
    P_WARN,
    P_ERR,
    P_CUR,
    P_INFO,
    P_PROG,
    P_INPUT,
    P_SEL
};

static void init_colors(void)
{
    start_color();
    use_default_colors();
    init_pair(P_BAR, COLOR_BLACK, COLOR_CYAN);
    init_pair(P_TAB, COLOR_BLACK, COLOR_WHITE);
    init_pair(P_KEY, COLOR_WHITE, COLOR_BLACK);
    init_pair(P_HEAD, COLOR_CYAN, -1);
    init_pair(P_OK, COLOR_GREEN, -1);
    init_pair(P_WARN, COLOR_YELLOW, -1);
    init_pair(P_ERR, COLOR_RED, -1);
    init_pair(P_CUR, COLOR_MAGENTA, -1);
    init_pair(P_INFO, COLOR_CYAN, -1);
    init_pair(P_PROG, COLOR_GREEN, -1);
    init_pair(P_INPUT, COLOR_BLACK, COLOR_YELLOW);
    init_pair(P_SEL, COLOR_BLACK, COLOR_CYAN);
}

int term_open(bool color, char *why, size_t n)
{
    if (active)
        return 0;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(why, n, "the console needs a terminal on stdin and stdout");
        return -1;
    }
    setlocale(LC_CTYPE, "");
    have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
    stop_flag = 0;
    stop_sig = 0;
    /* ours before curses starts, so curses leaves SIGINT/SIGTERM to us */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_sigs[i], &sa, &old_stop[i]);
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        for (size_t i = 0; i < NSTOP; i++)
            sigaction(stop_sigs[i], &old_stop[i], NULL);
        snprintf(why, n, "cannot start the terminal (TERM=%s)",
                 getenv("TERM") ? getenv("TERM") : "unset");
        return -1;
    }
    set_term(screen);
    restore_len = 0;
    add_cap("rmcup");
    add_cap("cnorm");
    add_cap("sgr0");
    active = true;
    struct sigaction fa;
    memset(&fa, 0, sizeof(fa));
    fa.sa_sigaction = on_fatal;
    fa.sa_flags = SA_SIGINFO;
    sigemptyset(&fa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &fa, &old_fatal[i]);
    if (!atexit_done) {
        atexit(at_exit);
        atexit_done = true;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    colors = color && has_colors();
    if (colors)
        init_colors();
    return 0;
}

void term_close(void)
{
    if (!screen)
        return;
    if (active) {
        curs_set(1);
        endwin();
    }
    active = false;
    delscreen(screen);
    screen = NULL;
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_sigs[i], &old_fatal[i], NULL);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_sigs[i], &old_stop[i], NULL);
}

volatile sig_atomic_t *term_stop_flag(void)
{
    return &stop_flag;
}

int term_signal(void)
{
    return stop_sig;
}

static attr_t style_attr(int s)
{
    if (!colors) {
        switch (s) {
        case UI_S_BOLD:
        case UI_S_WARN:
        case UI_S_ERROR:
        case UI_S_CURRENT:
            return A_BOLD;
        case UI_S_DIM:
            return A_DIM;
        case UI_S_BAR:
        case UI_S_SELECTED:
            return A_REVERSE;
        case UI_S_TAB:
        case UI_S_KEY:
            return A_BOLD;
        case UI_S_HEADING:
            return A_BOLD | A_UNDERLINE;
        case UI_S_INPUT:
            return A_REVERSE | A_UNDERLINE;
        default:
            return A_NORMAL;
        }
    }
    switch (s) {
    case UI_S_BOLD:
        return A_BOLD;
    case UI_S_DIM:
        return A_DIM;
    case UI_S_BAR:
        return (attr_t)COLOR_PAIR(P_BAR);
    case UI_S_TAB:
        return (attr_t)COLOR_PAIR(P_TAB) | A_BOLD;
    case UI_S_KEY:
        return (attr_t)COLOR_PAIR(P_KEY) | A_BOLD;
    case UI_S_SELECTED:
        return (attr_t)COLOR_PAIR(P_SEL);
    case UI_S_HEADING:
        return (attr_t)COLOR_PAIR(P_HEAD) | A_BOLD;
    case UI_S_OK:
        return (attr_t)COLOR_PAIR(P_OK);
    case UI_S_WARN:
        return (attr_t)COLOR_PAIR(P_WARN) | A_BOLD;
    case UI_S_ERROR:
        return (attr_t)COLOR_PAIR(P_ERR) | A_BOLD;
    case UI_S_CURRENT:
        return (attr_t)COLOR_PAIR(P_CUR) | A_BOLD;
    case UI_S_INFO:
        return (attr_t)COLOR_PAIR(P_INFO);
    case UI_S_PROGRESS:
        return (attr_t)COLOR_PAIR(P_PROG) | A_BOLD;
    case UI_S_INPUT:
        return (attr_t)COLOR_PAIR(P_INPUT);
    default:
        return A_NORMAL;
    }
}

static chtype glyph(int g)
{
    switch (g) {
    case UI_G_HLINE:
        return ACS_HLINE;
    case UI_G_VLINE:
        return ACS_VLINE;
    case UI_G_ULCORNER:
        return ACS_ULCORNER;
    case UI_G_URCORNER:
        return ACS_URCORNER;
    case UI_G_LLCORNER:
        return ACS_LLCORNER;
    case UI_G_LRCORNER:
        return ACS_LRCORNER;
    case UI_G_LTEE:
        return ACS_LTEE;
    case UI_G_RTEE:
        return ACS_RTEE;
    case UI_G_TTEE:
        return ACS_TTEE;
    case UI_G_BTEE:
        return ACS_BTEE;
    case UI_G_PLUS:
        return ACS_PLUS;
    case UI_G_BLOCK:
        return ' ' | A_REVERSE; /* a solid bar on any terminal, with or without colour */
    default:
        return (chtype)(unsigned char)ui_glyph_ascii(g);
    }
}

static void t_present(void *ud, const struct ui_canvas *c)
{
    (void)ud;
    if (!active)
        return;
    int h, w;
    getmaxyx(stdscr, h, w);
    for (int y = 0; y < c->h && y < h; y++) {
        wmove(stdscr, y, 0);
        for (int x = 0; x < c->w && x < w; x++) {
            const struct ui_cell *cell = &c->cells[y * c->w + x];
            chtype ch = cell->ch < 32 ? glyph(cell->ch) : (chtype)cell->ch;
            if (y == h - 1 && x == w - 1)
                continue; /* the last cell would scroll some terminals */
            waddch(stdscr, ch | style_attr(cell->style));
        }
    }
    if (c->cursor_x >= 0 && c->cursor_y >= 0) {
        curs_set(1);
        wmove(stdscr, c->cursor_y, c->cursor_x);
    } else {
        curs_set(0);
    }
    wnoutrefresh(stdscr);
    doupdate();
}

static void t_size(void *ud, int *w, int *h)
{
    (void)ud;
    if (!active) {
        *w = 80;
        *h = 24;
        return;
    }
    getmaxyx(stdscr, *h, *w);
}

static int t_read_key(void *ud, int timeout_ms)
{
    (void)ud;
    if (!active)
        return UI_KEY_NONE;
    wtimeout(stdscr, timeout_ms);
    int ch = wgetch(stdscr);
    switch (ch) {
    case ERR:
        return UI_KEY_NONE;
    case KEY_RESIZE:
        return UI_KEY_RESIZE;
    case KEY_UP:
        return UI_KEY_UP;
    case KEY_DOWN:
        return UI_KEY_DOWN;
    case KEY_LEFT:
        return UI_KEY_LEFT;
    case KEY_RIGHT:
        return UI_KEY_RIGHT;
    case KEY_PPAGE:
        return UI_KEY_PGUP;
    case KEY_NPAGE:
        return UI_KEY_PGDN;
    case KEY_HOME:
        return UI_KEY_HOME;
    case KEY_END:
        return UI_KEY_END;
    case KEY_BTAB:
        return UI_KEY_BTAB;
    case KEY_ENTER:
    case '\r':
    case '\n':
        return UI_KEY_ENTER;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        return UI_KEY_BACKSPACE;
    default:
        break;
    }
    if (ch >= KEY_F(1) && ch <= KEY_F(24))
        return UI_KEY_F(ch - KEY_F0);
    if (ch >= KEY_MIN)
        return 0x2000 + ch; /* a key the console does not use: reported, not lost */
    return ch;
}

struct ui_io term_io(void)
{
    return (struct ui_io){.ud = NULL, .read_key = t_read_key, .size = t_size, .present = t_present};
}
