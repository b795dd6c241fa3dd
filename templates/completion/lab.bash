# bash completion for lab. Install one of:
#   lab completion bash > ~/.local/share/bash-completion/completions/lab
#   echo 'source <(lab completion bash)' >> ~/.bashrc
# On each Tab, `lab __complete` answers from the CLI's own definition: candidates, one per
# line, or a directive for bash to complete paths itself (:files:EXT,EXT or :dirs).
_lab_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local -a answer
  mapfile -t answer < <(lab __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  COMPREPLY=()
  case ${answer[0]-} in
    :files:*)
      local exts=${answer[0]#:files:} name
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      while IFS= read -r name; do
        [ -d "$name" ] && continue
        if [ -z "$exts" ] || [[ ",$exts," == *",${name##*.},"* ]]; then COMPREPLY+=("$name"); fi
      done < <(compgen -f -- "$cur")
      ;;
    :dirs)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      ;;
    *)
      COMPREPLY=("${answer[@]}")
      ;;
  esac
}
complete -F _lab_complete lab
